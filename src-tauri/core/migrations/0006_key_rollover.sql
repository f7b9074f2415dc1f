-- 0006: office key rollover (đổi khoá, SYNC §3.10 "Rotation", case 23). Every generation of an
-- office's keys: at the office itself (with the retired secret, to decrypt packages still
-- encrypted to an old key during the grace period) and at a commune for the office it pinned
-- (with the signed statement that introduced the generation). Not exchanged as ops.

CREATE TABLE office_key (
  node_id        TEXT NOT NULL,     -- the office
  serial         INTEGER NOT NULL,  -- key generation: 0 = the keys made at setup
  sign_pk        TEXT NOT NULL,
  enc_recipient  TEXT NOT NULL,
  secret_keys    TEXT,              -- at the office only, for retired generations; NULL elsewhere
  grace_until    TEXT,              -- retired generation: packages encrypted to it accepted until then (office clock)
  statement      TEXT,              -- the signed rollover statement that introduced this generation (NULL for 0)
  created_at     TEXT NOT NULL,
  PRIMARY KEY (node_id, serial)
) WITHOUT ROWID;

-- The newest office key generation a node has shown it holds: at the office, per device (the key
-- its last package was encrypted to; return packages are signed with that generation so the
-- device can verify them and learn the newer keys); at a commune, for the office (the generation
-- of the newest signature seen; older keys are no longer accepted).
CREATE TABLE office_key_seen (
  node_id  TEXT PRIMARY KEY,
  serial   INTEGER NOT NULL
) WITHOUT ROWID;
