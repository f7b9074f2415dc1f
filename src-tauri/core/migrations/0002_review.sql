-- 0002: review rounds (đợt rà soát) under QĐ 24/2021/QĐ-TTg, loaded rule sets, and the records a
-- round produces. Same conventions as 0001: materialised tables of exchanged entities, `_rev`
-- heads, no foreign keys between them, no UNIQUE on natural keys.

-- entity ruleset: a rule-set file loaded by an office (the built-in ones are compiled in).
-- id = "<rules id>@<version>"
CREATE TABLE ruleset (
  id         TEXT PRIMARY KEY,
  rules_id   TEXT,
  version    INTEGER,
  json       TEXT,
  loaded_at  TEXT,
  _rev       TEXT NOT NULL DEFAULT '{}'
);

-- entity review_round: one periodic (1/9–14/12) or monthly (from the 15th) review of a commune
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

-- entity application: Mẫu 01 (review / average living standard) or Mẫu 04 (leaving poverty)
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
CREATE INDEX application_round ON application(round_id);

-- entity survey: Phiếu A + Phiếu B (B1 score A, B2 deprivations) of one household in one round,
-- with the classification it led to. id is derived from (round, household) so two laptops that
-- survey the same household edit the same row (a conflict to review, never a duplicate).
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
);
CREATE INDEX survey_round ON survey(round_id, village_id);
CREATE INDEX survey_household ON survey(household_id);

-- entity village_meeting: the village meeting (họp dân) of a round; id derived from (round, village)
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
CREATE INDEX village_meeting_round ON village_meeting(round_id);

-- entity complaint: a complaint during posting and its re-check (phúc tra)
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
CREATE INDEX complaint_round ON complaint(round_id);

-- entity certificate: Mẫu 03 issued to a poor or near-poor household by the decision of a round
CREATE TABLE certificate (
  id            TEXT PRIMARY KEY,
  round_id      TEXT,
  household_id  TEXT,
  number        TEXT,             -- "12/GCN-HN.HCN"
  class         TEXT,
  issued_date   TEXT,
  _rev          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX certificate_round ON certificate(round_id);
CREATE INDEX certificate_household ON certificate(household_id);
