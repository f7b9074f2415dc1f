-- 0009: the bodies of received ops stay in the package they arrived in (SYNC case 50).
--
-- A received op's row in `op` used to repeat its whole text: body, author and device time,
-- ~300 of its ~500 bytes. For a folder of 30 communes that was ~330 MB written a second time
-- (the package already carries it, compressed to ~65 MB) and ~3.4 s of a ~24 s import. Now an
-- imported package's deflated plaintext is kept once in `op_pack`, and each op applied from it
-- keeps only what queries select on (origin, seq, lamport, authority, entity, row, kind, scope,
-- body hash); its `body`, `user_id` and `device_time` are empty and `pack_line` is the line of
-- the package that holds it (`op_pack::OpText`, the one way to read them). Ops written here, and
-- received ops stored before this migration, keep their text in the row (`pack_line` NULL).

ALTER TABLE op ADD COLUMN pack_line INTEGER;  -- NULL: text in the row; else the line in op_pack

CREATE TABLE op_pack (
  package_id      TEXT PRIMARY KEY,   -- the package the ops arrived in (op.received_in)
  compression     TEXT,               -- 'deflate' or NULL (plain text)
  content         BLOB NOT NULL,      -- the package's plaintext: manifest, one op per line, sections
  content_sha256  BLOB NOT NULL       -- of `content`: identifies a cached inflated copy
);  -- a rowid table: its rows are megabytes, which a WITHOUT ROWID B-tree stores badly

CREATE TRIGGER op_pack_no_delete BEFORE DELETE ON op_pack
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được xoá'); END;
CREATE TRIGGER op_pack_no_update BEFORE UPDATE ON op_pack
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được sửa'); END;

-- The ops kept in their package are found by row through the row's revision state, which names
-- every op that set a field of it (`op_pack::row_op_rowids`); indexing their `row_id` too cost
-- ~1 s of a 30-commune import. Office decisions and every op written here stay indexed.
DROP INDEX op_row;
CREATE INDEX op_row ON op(row_id) WHERE pack_line IS NULL;
