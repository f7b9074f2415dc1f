-- 0004: the exchange's ledger side. A device whose ops equivocated (same (origin, seq), another
-- body: a cloned laptop or one restored from an old backup) is flagged; the reason an office gave
-- for a correction travels with the op.

ALTER TABLE node ADD COLUMN flagged TEXT;   -- NULL = fine; else the Vietnamese reason

CREATE TABLE op_reason (
  origin  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  reason  TEXT NOT NULL,
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;

-- Ops of a revoked device after its revocation point: not applied, kept for the officer to see.
CREATE TABLE op_set_aside (
  origin      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  package_id  TEXT NOT NULL,
  op          TEXT NOT NULL,      -- the op line as received
  reason      TEXT NOT NULL,
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
