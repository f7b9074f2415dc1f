-- 0003: the USB exchange's bookkeeping. The op log gains `scope` (the commune an op concerns,
-- NULL = every commune) so return packages carry each commune only its own rows; packages seen
-- and what each peer has acknowledged are recorded.

ALTER TABLE op ADD COLUMN scope TEXT;
CREATE INDEX op_scope ON op(scope, origin, seq);

-- Every package written or imported (rejected files are reported, not recorded: they change nothing).
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
CREATE INDEX package_log_peer ON package_log(direction, receiver, pkg_seq);
CREATE INDEX package_log_file ON package_log(file_sha256);

-- What each peer confirmed holding, per origin (cumulative packages send everything above it).
CREATE TABLE peer_ack (
  peer            TEXT NOT NULL,
  origin          TEXT NOT NULL,
  contiguous_seq  INTEGER NOT NULL,
  PRIMARY KEY (peer, origin)
) WITHOUT ROWID;
