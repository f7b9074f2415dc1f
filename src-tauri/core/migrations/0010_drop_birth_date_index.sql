-- 0010: the index on members' birth dates goes (SYNC case 50).
--
-- 0007 created `member_birth_date` for finding duplicate-person candidates (same name without
-- diacritics and same birth date), but that search (`Ledger::duplicate_people`) reads every
-- member once and groups in memory, and no query selects on `birth_date`. The index was kept up
-- to date on every member write for nothing: birth dates arrive in random order, so each insert
-- went into the middle of a 670,000-entry B-tree. Importing the 30 communes' packages took
-- ~1.8 s of CPU less without it (BENCHMARKS.md, "Session 9").

DROP INDEX IF EXISTS member_birth_date;
