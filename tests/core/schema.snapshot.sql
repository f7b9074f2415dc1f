-- index app_user_deleted
CREATE INDEX app_user_deleted ON app_user(id) WHERE deleted <> 0;
-- index application_deleted
CREATE INDEX application_deleted ON application(id) WHERE deleted <> 0;
-- index application_round
CREATE INDEX application_round ON application(round_id);
-- index certificate_household
CREATE INDEX certificate_household ON certificate(household_id);
-- index certificate_round
CREATE INDEX certificate_round ON certificate(round_id);
-- index complaint_deleted
CREATE INDEX complaint_deleted ON complaint(id) WHERE deleted <> 0;
-- index complaint_round
CREATE INDEX complaint_round ON complaint(round_id);
-- index household_commune
CREATE INDEX household_commune ON household(commune_code);
-- index household_deleted
CREATE INDEX household_deleted ON household(id) WHERE deleted <> 0;
-- index household_event_deleted
CREATE INDEX household_event_deleted ON household_event(id) WHERE deleted <> 0;
-- index household_event_household
CREATE INDEX household_event_household ON household_event(household_id);
-- index household_sort
CREATE INDEX household_sort ON household(sort_key);
-- index household_village
CREATE INDEX household_village ON household(village_id);
-- index member_deleted
CREATE INDEX member_deleted ON member(id) WHERE deleted <> 0;
-- index member_household
CREATE INDEX member_household ON member(household_id);
-- index member_id_number
CREATE INDEX member_id_number ON member(id_number);
-- index office_action_commune
CREATE INDEX office_action_commune ON office_action(commune_code);
-- index office_action_household
CREATE INDEX office_action_household ON office_action(household_id);
-- index op_key
CREATE UNIQUE INDEX op_key ON op(origin, seq);
-- index op_row
CREATE INDEX op_row ON op(row_id) WHERE pack_line IS NULL;
-- index op_scope
CREATE INDEX op_scope ON op(scope, origin, seq) WHERE authority >= 3 OR scope IS NULL;
-- index package_log_file
CREATE INDEX package_log_file ON package_log(file_sha256);
-- index package_log_peer
CREATE INDEX package_log_peer ON package_log(direction, receiver, pkg_seq);
-- index review_round_deleted
CREATE INDEX review_round_deleted ON review_round(id) WHERE deleted <> 0;
-- index survey_deleted
CREATE INDEX survey_deleted ON survey(id) WHERE deleted <> 0;
-- index survey_household
CREATE INDEX survey_household ON survey(household_id);
-- index survey_round
CREATE INDEX survey_round ON survey(round_id, village_id);
-- index village_commune
CREATE INDEX village_commune ON village(commune_code);
-- index village_deleted
CREATE INDEX village_deleted ON village(id) WHERE deleted <> 0;
-- index village_meeting_round
CREATE INDEX village_meeting_round ON village_meeting(round_id);
-- table app_user
CREATE TABLE app_user (
  id       TEXT PRIMARY KEY,
  name     TEXT,
  role     TEXT,
  node_id  TEXT,
  deleted  INTEGER NOT NULL DEFAULT 0,
  _rev     TEXT NOT NULL DEFAULT '{}'
);
-- table application
CREATE TABLE application (
  id             TEXT PRIMARY KEY,
  round_id       TEXT,
  household_id   TEXT,
  form           TEXT,            -- mau01 | mau04
  purpose        TEXT,            -- review | average | exit_poor | exit_near_poor
  reason         TEXT,
  received_date  TEXT,
  deleted        INTEGER NOT NULL DEFAULT 0,
  _rev           TEXT NOT NULL DEFAULT '{}'
);
-- table audit_event
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
-- table certificate
CREATE TABLE certificate (
  id            TEXT PRIMARY KEY,
  round_id      TEXT,
  household_id  TEXT,
  number        TEXT,             -- "12/GCN-HN.HCN"
  class         TEXT,
  issued_date   TEXT,
  _rev          TEXT NOT NULL DEFAULT '{}'
);
-- table commune
CREATE TABLE commune (
  id             TEXT PRIMARY KEY,
  province_code  TEXT,
  name           TEXT,
  area           TEXT,               -- rural | urban
  b1_region      TEXT,               -- B1 region variant (vùng), per commune
  _rev           TEXT NOT NULL DEFAULT '{}'
);
-- table complaint
CREATE TABLE complaint (
  id              TEXT PRIMARY KEY,
  round_id        TEXT,
  household_id    TEXT,
  date            TEXT,
  content         TEXT,
  status          TEXT,           -- open | resolved
  recheck_date    TEXT,
  recheck_result  TEXT,
  deleted         INTEGER NOT NULL DEFAULT 0,
  _rev            TEXT NOT NULL DEFAULT '{}'
);
-- table conflict
CREATE TABLE conflict (
  entity  TEXT NOT NULL,
  row_id  TEXT NOT NULL,
  field   TEXT NOT NULL,
  kind    TEXT NOT NULL,              -- overlap | delete_vs_edit | locked_edit | duplicate_person
  heads   TEXT NOT NULL,              -- JSON [[origin,seq],…]
  PRIMARY KEY (entity, row_id, field, kind)
) WITHOUT ROWID;
-- table household
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
-- table household_event
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
-- table local_node
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
-- table member
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
-- table node
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
, flagged TEXT);
-- table office_action
CREATE TABLE office_action (
  id               TEXT PRIMARY KEY,
  commune_code     TEXT,
  action           TEXT,   -- approve | return | lock | unlock | merge | distinct | accept_change | refuse_change
  household_id     TEXT,   -- NULL = every household of the commune (a whole round/submission)
  round_id         TEXT,
  member_id        TEXT,   -- merge: the record kept; distinct: one of the pair
  other_member_id  TEXT,   -- merge: the record marked as its duplicate; distinct: the other
  target           TEXT,   -- accept_change / refuse_change: the commune op "origin:seq"
  device           TEXT,   -- return: node id of the laptop that must fix it (NULL = any)
  reason           TEXT,
  seen             TEXT,   -- JSON {origin: seq}: what the office held from the commune's devices
  created_at       TEXT,
  _rev             TEXT NOT NULL DEFAULT '{}'
);
-- table office_key
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
-- table office_key_seen
CREATE TABLE office_key_seen (
  node_id  TEXT PRIMARY KEY,
  serial   INTEGER NOT NULL
) WITHOUT ROWID;
-- table op
CREATE TABLE "op" (
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
, pack_line INTEGER);
-- table op_pack
CREATE TABLE op_pack (
  package_id      TEXT PRIMARY KEY,   -- the package the ops arrived in (op.received_in)
  compression     TEXT,               -- 'deflate' or NULL (plain text)
  content         BLOB NOT NULL,      -- the package's plaintext: manifest, one op per line, sections
  content_sha256  BLOB NOT NULL       -- of `content`: identifies a cached inflated copy
);
-- table op_reason
CREATE TABLE op_reason (
  origin  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  reason  TEXT NOT NULL,
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
-- table op_set_aside
CREATE TABLE op_set_aside (
  origin      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  package_id  TEXT NOT NULL,
  op          TEXT NOT NULL,      -- the op line as received
  reason      TEXT NOT NULL,
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
-- table package_log
CREATE TABLE package_log (
  package_id    TEXT PRIMARY KEY,
  direction     TEXT NOT NULL,      -- out | in
  kind          TEXT NOT NULL,      -- data | return | enrol_request | enrol_response
  sender        TEXT NOT NULL,
  receiver      TEXT NOT NULL,
  pkg_seq       INTEGER NOT NULL,
  file_name     TEXT NOT NULL,
  file_sha256   TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  status        TEXT NOT NULL,      -- written | imported | quarantined
  reason        TEXT,
  ops           INTEGER NOT NULL DEFAULT 0,
  ops_new       INTEGER NOT NULL DEFAULT 0,
  ops_duplicate INTEGER NOT NULL DEFAULT 0,
  conflicts     INTEGER NOT NULL DEFAULT 0,
  device_time   TEXT NOT NULL
);
-- table peer_ack
CREATE TABLE peer_ack (
  peer            TEXT NOT NULL,
  origin          TEXT NOT NULL,
  contiguous_seq  INTEGER NOT NULL,
  PRIMARY KEY (peer, origin)
) WITHOUT ROWID;
-- table province
CREATE TABLE province (
  id    TEXT PRIMARY KEY,
  name  TEXT,
  _rev  TEXT NOT NULL DEFAULT '{}'
);
-- table review_round
CREATE TABLE review_round (
  id               TEXT PRIMARY KEY,
  commune_code     TEXT,
  kind             TEXT,          -- periodic | monthly
  scope            TEXT,          -- listed (poor, near-poor, applicants) | full (every household)
  year             INTEGER,
  month            INTEGER,
  title            TEXT,
  rules_id         TEXT,
  rules_version    INTEGER,
  reference_date   TEXT,          -- ages are computed at this date
  start_date       TEXT,
  posting_days     INTEGER,       -- working days of public posting (configurable: not confirmed in law)
  posting_start    TEXT,
  posting_end      TEXT,
  decision_number  TEXT,          -- Mẫu 02
  decision_date    TEXT,
  decision_signer  TEXT,
  status           TEXT,          -- surveying | posting | decided
  locked           INTEGER NOT NULL DEFAULT 0,
  deleted          INTEGER NOT NULL DEFAULT 0,
  _rev             TEXT NOT NULL DEFAULT '{}'
);
-- table ruleset
CREATE TABLE ruleset (
  id         TEXT PRIMARY KEY,
  rules_id   TEXT,
  version    INTEGER,
  json       TEXT,
  loaded_at  TEXT,
  _rev       TEXT NOT NULL DEFAULT '{}'
);
-- table setting
CREATE TABLE setting (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
-- table survey
CREATE TABLE survey (
  id                       TEXT PRIMARY KEY,
  round_id                 TEXT,
  household_id             TEXT,
  village_id               TEXT,
  source                   TEXT,    -- listed | applicant | full
  phieu_a_ticked           TEXT,    -- JSON array of ticked checklist items
  phieu_a_result           TEXT,    -- continue | stop
  score_a                  INTEGER,
  b1_answers               TEXT,    -- JSON {question: option}
  income_per_capita_month  INTEGER,
  agricultural             INTEGER,
  floor_area_m2            REAL,
  deprivations             TEXT,    -- JSON {indicator: bool}: the reviewer's explicit answers
  override_reasons         TEXT,    -- JSON {indicator: reason}
  reviewer                 TEXT,
  survey_date              TEXT,
  status                   TEXT,    -- pending | surveyed | resurvey
  class                    TEXT,    -- poor | near_poor | average | not_poor
  previous_class           TEXT,
  transition               TEXT,
  score_b                  INTEGER,
  deprived                 TEXT,    -- JSON array of indicator ids
  explanation              TEXT,
  rules_id                 TEXT,
  rules_version            INTEGER,
  deleted                  INTEGER NOT NULL DEFAULT 0,
  _rev                     TEXT NOT NULL DEFAULT '{}'
, poverty_causes TEXT);
-- table village
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
-- table village_meeting
CREATE TABLE village_meeting (
  id          TEXT PRIMARY KEY,
  round_id    TEXT,
  village_id  TEXT,
  date        TEXT,
  attendees   INTEGER,
  agreed      INTEGER,
  result      TEXT,               -- passed | resurvey (under 50 % agreement)
  chair       TEXT,
  note        TEXT,
  _rev        TEXT NOT NULL DEFAULT '{}'
);
-- trigger audit_no_delete
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'Nhật ký kiểm tra chỉ được ghi thêm, không được sửa hay xoá'); END;
-- trigger audit_no_update
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'Nhật ký kiểm tra chỉ được ghi thêm, không được sửa hay xoá'); END;
-- trigger op_no_delete
CREATE TRIGGER op_no_delete BEFORE DELETE ON op
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được xoá'); END;
-- trigger op_pack_no_delete
CREATE TRIGGER op_pack_no_delete BEFORE DELETE ON op_pack
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được xoá'); END;
-- trigger op_pack_no_update
CREATE TRIGGER op_pack_no_update BEFORE UPDATE ON op_pack
BEGIN SELECT RAISE(ABORT, 'Nhật ký thao tác chỉ được ghi thêm, không được sửa'); END;
