-- 0001: the first schema of the Sổ Giảm Nghèo ledger.
-- NEVER edit a shipped migration: add 0002_….sql instead (the schema snapshot test shows the change).
--
-- Layout: identity and the operation log first; then the materialised domain tables. Every domain
-- row is a pure function of the operations that touched it: `_rev` holds the per-field revision
-- heads (see ledger.rs). Domain tables deliberately have no foreign keys to each other and no
-- UNIQUE constraint on natural keys: packages may deliver a child before its parent, and a
-- duplicate ID number must become a review item, never an import failure.

-- Every known node (this installation, the office, other devices of the commune).
CREATE TABLE node (
  node_id            TEXT PRIMARY KEY,
  short_code         TEXT NOT NULL,
  role               TEXT NOT NULL,          -- reviewer | commune_officer | office
  commune_code       TEXT,                   -- NULL for an office
  name               TEXT NOT NULL DEFAULT '',
  sign_pk            TEXT,
  enc_recipient      TEXT,
  cert               TEXT,
  cert_serial        INTEGER,
  revoked_after_seq  INTEGER,
  created_at         TEXT NOT NULL
);

-- This installation's identity and counters (one row).
CREATE TABLE local_node (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  node_id        TEXT NOT NULL REFERENCES node(node_id),
  kind           TEXT NOT NULL CHECK (kind IN ('commune', 'office')),
  next_seq       INTEGER NOT NULL CHECK (next_seq >= 1),   -- next operation sequence, gapless
  lamport        INTEGER NOT NULL,                         -- max(own, seen)
  next_code      INTEGER NOT NULL,                         -- counter for household display codes
  province_code  TEXT NOT NULL,
  commune_code   TEXT NOT NULL,
  secret_keys    TEXT
);

-- Local preferences of this installation (current user, font size); never exchanged.
CREATE TABLE setting (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

-- The operation log: append-only, one row per change, keyed by (origin device, gapless seq).
CREATE TABLE op (
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
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE INDEX op_row ON op(row_id);

CREATE TRIGGER op_no_delete BEFORE DELETE ON op
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được xoá'); END;

-- Open review items: concurrent different values of one field (derived from `_rev`, kept for workflow).
CREATE TABLE conflict (
  entity  TEXT NOT NULL,
  row_id  TEXT NOT NULL,
  field   TEXT NOT NULL,
  kind    TEXT NOT NULL,              -- overlap | delete_vs_edit | locked_edit | duplicate_person
  heads   TEXT NOT NULL,              -- JSON [[origin,seq],…]
  PRIMARY KEY (entity, row_id, field, kind)
) WITHOUT ROWID;

-- Hash-chained audit trail without personal values (field names and op ids only).
CREATE TABLE audit_event (
  seq          INTEGER PRIMARY KEY,
  prev_sha256  TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  lamport      INTEGER NOT NULL,
  device_time  TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  action       TEXT NOT NULL,
  entity       TEXT,
  row_id       TEXT,
  details      TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'Nhật ký kiểm tra chỉ được ghi thêm, không được sửa hay xoá'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'Nhật ký kiểm tra chỉ được ghi thêm, không được sửa hay xoá'); END;

-- ---- Materialised domain tables (entity name in comments) ----

-- entity province (tỉnh): id = 2-digit code
CREATE TABLE province (
  id    TEXT PRIMARY KEY,
  name  TEXT,
  _rev  TEXT NOT NULL DEFAULT '{}'
);

-- entity commune (xã/phường): id = official 5-digit code
CREATE TABLE commune (
  id             TEXT PRIMARY KEY,
  province_code  TEXT,
  name           TEXT,
  area           TEXT,               -- rural | urban
  b1_region      TEXT,               -- B1 region variant (vùng), per commune
  _rev           TEXT NOT NULL DEFAULT '{}'
);

-- entity village (thôn, xóm, bản, ấp, tổ dân phố)
CREATE TABLE village (
  id            TEXT PRIMARY KEY,
  commune_code  TEXT,
  code          TEXT,
  name          TEXT,
  kind          TEXT,
  sort_order    INTEGER,
  deleted       INTEGER NOT NULL DEFAULT 0,
  _rev          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX village_commune ON village(commune_code);

-- entity user (người dùng): the people who enter and approve data
CREATE TABLE app_user (
  id       TEXT PRIMARY KEY,
  name     TEXT,
  role     TEXT,
  node_id  TEXT,
  deleted  INTEGER NOT NULL DEFAULT 0,
  _rev     TEXT NOT NULL DEFAULT '{}'
);

-- entity household (hộ gia đình)
CREATE TABLE household (
  id               TEXT PRIMARY KEY,
  commune_code     TEXT,
  village_id       TEXT,
  code             TEXT,
  address          TEXT,
  ethnicity        TEXT,
  ethnic_minority  INTEGER NOT NULL DEFAULT 0,
  no_labour        INTEGER NOT NULL DEFAULT 0,
  merit            INTEGER NOT NULL DEFAULT 0,
  note             TEXT,
  head_member_id   TEXT,
  status           TEXT NOT NULL DEFAULT 'active',   -- active | merged | moved_away | dissolved
  merged_into      TEXT,
  deleted          INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT,
  -- derived, recomputed after every write; never exchanged
  head_name        TEXT NOT NULL DEFAULT '',
  member_count     INTEGER NOT NULL DEFAULT 0,
  search_text      TEXT NOT NULL DEFAULT '',   -- folded code, head, members, address
  head_search      TEXT NOT NULL DEFAULT '',   -- folded head name (ranks head matches first)
  sort_key         TEXT NOT NULL DEFAULT '',
  _rev             TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX household_village ON household(village_id);
CREATE INDEX household_sort ON household(sort_key);
CREATE INDEX household_commune ON household(commune_code);

-- entity member (thành viên / nhân khẩu)
CREATE TABLE member (
  id                     TEXT PRIMARY KEY,
  household_id           TEXT,
  full_name              TEXT,
  birth_date             TEXT,
  birth_year             INTEGER,
  sex                    TEXT,
  ethnicity              TEXT,
  relation               TEXT,
  id_number              TEXT,
  health_insurance_card  TEXT,
  health_insurance       INTEGER,
  attending_school       INTEGER,
  education_level        TEXT,
  work_status            TEXT,
  labour_contract        INTEGER,
  disability             INTEGER,
  social_allowance       INTEGER,
  nutrition_status       TEXT,
  status                 TEXT NOT NULL DEFAULT 'present',   -- present | dead | moved_away
  position               INTEGER,
  note                   TEXT,
  deleted                INTEGER NOT NULL DEFAULT 0,
  _rev                   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX member_household ON member(household_id);
CREATE INDEX member_id_number ON member(id_number);

-- entity household_event (biến động hộ): birth, death, move away, marriage, change of head, split, merge, move village
CREATE TABLE household_event (
  id                  TEXT PRIMARY KEY,
  household_id        TEXT,
  kind                TEXT,
  date                TEXT,
  member_id           TEXT,
  other_household_id  TEXT,
  village_id          TEXT,
  note                TEXT,
  deleted             INTEGER NOT NULL DEFAULT 0,
  _rev                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX household_event_household ON household_event(household_id);
