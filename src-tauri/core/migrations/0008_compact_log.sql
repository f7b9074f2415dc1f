-- 0008: a smaller write per op, for importing a folder of communes' packages (SYNC case 50).
--
-- 1. The op log becomes a rowid table with a unique index on (origin, seq). As a WITHOUT ROWID
--    table keyed by (origin, seq), every ~650-byte op was inserted into an index B-tree, whose
--    page splits left about 40 % of the log's pages empty and rewrote whole pages per insert; a
--    rowid table appends (SQLite fills the last page and starts a new one). Same columns, same
--    append-only trigger, same uniqueness: `ON CONFLICT(origin, seq)` still detects duplicates.
--    The scope index becomes partial (below).
-- 2. Every row's revision state `_rev` is re-encoded in the compact form (field positions as a
--    bit mask instead of field names), by Rust code that runs right after this script in the
--    same transaction (`ledger::reencode_revs`): about 400 → 80 bytes per member.

DROP TRIGGER op_no_delete;
DROP INDEX op_row;
DROP INDEX op_scope;

CREATE TABLE op_log (
  origin       TEXT NOT NULL REFERENCES node(node_id),
  seq          INTEGER NOT NULL,
  lamport      INTEGER NOT NULL,
  authority    INTEGER NOT NULL,     -- 1 reviewer, 2 commune officer, 3 office
  user_id      TEXT NOT NULL,
  device_time  TEXT NOT NULL,        -- informational only; never used for ordering
  entity       TEXT NOT NULL,
  row_id       TEXT NOT NULL,
  kind         TEXT NOT NULL,        -- create | update | delete
  body         TEXT NOT NULL,        -- {"set":{field:value},"base":{field:[[origin,seq],…]}}
  body_sha256  BLOB NOT NULL,
  schema_ver   INTEGER NOT NULL,
  received_in  TEXT,                 -- package id it arrived in; NULL when written here
  scope        TEXT                  -- commune code the op concerns; NULL = every commune
);

INSERT INTO op_log (origin, seq, lamport, authority, user_id, device_time, entity, row_id, kind,
                    body, body_sha256, schema_ver, received_in, scope)
SELECT origin, seq, lamport, authority, user_id, device_time, entity, row_id, kind,
       body, body_sha256, schema_ver, received_in, scope
FROM op ORDER BY origin, seq;

DROP TABLE op;
ALTER TABLE op_log RENAME TO op;

CREATE UNIQUE INDEX op_key ON op(origin, seq);
CREATE INDEX op_row ON op(row_id);
-- Only office ops and ops of no commune: a commune device's ops are found through op_key by
-- origin (their scope is their device's commune), so indexing their scope too cost ~12 % of a
-- folder import (`sync::ops_for_sql` reads the two parts).
CREATE INDEX op_scope ON op(scope, origin, seq) WHERE authority >= 3 OR scope IS NULL;

CREATE TRIGGER op_no_delete BEFORE DELETE ON op
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được xoá'); END;
