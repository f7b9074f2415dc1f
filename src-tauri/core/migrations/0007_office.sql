-- 0007: decisions of the office (quyết định của văn phòng) that travel in return packages:
-- approve / return for correction / lock / unlock a household or a commune's round, accept or
-- refuse a commune's change of a locked record, merge two records of one person or remember that
-- they are different people. Insert-only rows written through the ledger (entity office_action),
-- so every replica derives the same locks and review items from the op set.
-- Also an index for the duplicate-person candidates (same birth date, same folded name).

-- entity office_action
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
CREATE INDEX office_action_household ON office_action(household_id);
CREATE INDEX office_action_commune ON office_action(commune_code);
CREATE INDEX member_birth_date ON member(birth_date);

-- Rows shown deleted, per table (partial indexes: they hold only the rare deleted rows), so the
-- delete_vs_edit check after an import reads the deleted rows instead of probing every row.
CREATE INDEX village_deleted ON village(id) WHERE deleted <> 0;
CREATE INDEX app_user_deleted ON app_user(id) WHERE deleted <> 0;
CREATE INDEX household_deleted ON household(id) WHERE deleted <> 0;
CREATE INDEX member_deleted ON member(id) WHERE deleted <> 0;
CREATE INDEX household_event_deleted ON household_event(id) WHERE deleted <> 0;
CREATE INDEX review_round_deleted ON review_round(id) WHERE deleted <> 0;
CREATE INDEX application_deleted ON application(id) WHERE deleted <> 0;
CREATE INDEX survey_deleted ON survey(id) WHERE deleted <> 0;
CREATE INDEX complaint_deleted ON complaint(id) WHERE deleted <> 0;
