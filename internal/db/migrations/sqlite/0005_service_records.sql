-- The ledger of volunteer hours (志愿服务记录), part two of the volunteer
-- matrix. Keep in step with postgres/0005.
--
-- service_records is append-only (triggers refuse UPDATE and DELETE): a
-- correction is a new row reversing an earlier one, with a reason. A
-- back-filled record counts once a leader confirms it; decisions are
-- rows of record_decisions, append-only too. Durations are whole minutes.
-- hours_rollup holds the counted minutes per volunteer, team, category and
-- month, written in the same transaction as the record or decision that
-- changes them, so totals and the matrix read a few hundred rows instead
-- of a year of records.

CREATE TABLE service_records (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES communities(id),
    volunteer_id     INTEGER NOT NULL REFERENCES volunteers(id),
    team_id          INTEGER REFERENCES teams(id),
    activity_name    TEXT NOT NULL,
    service_date     TEXT NOT NULL,
    place            TEXT NOT NULL,
    content          TEXT NOT NULL,
    started_at       TIMESTAMP NOT NULL,
    ended_at         TIMESTAMP NOT NULL,
    minutes          INTEGER NOT NULL,
    organiser        TEXT NOT NULL,
    person_in_charge TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT '',
    captured         TEXT NOT NULL,
    serves_kind      TEXT NOT NULL DEFAULT '',
    serves_id        INTEGER,
    batch            TEXT NOT NULL DEFAULT '',
    recorded_by      INTEGER REFERENCES accounts(id),
    recorded_at      TIMESTAMP NOT NULL,
    due_on           TEXT NOT NULL,
    late             INTEGER NOT NULL DEFAULT 0,
    flags            TEXT NOT NULL DEFAULT '',
    reverses_id      INTEGER UNIQUE REFERENCES service_records(id),
    reason           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_records_volunteer ON service_records(volunteer_id, service_date);
CREATE INDEX service_records_community ON service_records(community_id, service_date);
CREATE INDEX service_records_team ON service_records(team_id, service_date);

CREATE TRIGGER service_records_no_update BEFORE UPDATE ON service_records
BEGIN SELECT RAISE(ABORT, 'service_records is append-only'); END;
CREATE TRIGGER service_records_no_delete BEFORE DELETE ON service_records
BEGIN SELECT RAISE(ABORT, 'service_records is append-only'); END;

CREATE TABLE record_decisions (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    record_id    INTEGER NOT NULL UNIQUE REFERENCES service_records(id),
    decision     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    decided_by   INTEGER REFERENCES accounts(id),
    decided_at   TIMESTAMP NOT NULL
);
CREATE TRIGGER record_decisions_no_update BEFORE UPDATE ON record_decisions
BEGIN SELECT RAISE(ABORT, 'record_decisions is append-only'); END;
CREATE TRIGGER record_decisions_no_delete BEFORE DELETE ON record_decisions
BEGIN SELECT RAISE(ABORT, 'record_decisions is append-only'); END;

CREATE TABLE hours_rollup (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    team_id      INTEGER NOT NULL,
    category     TEXT NOT NULL,
    month        TEXT NOT NULL,
    minutes      INTEGER NOT NULL,
    records      INTEGER NOT NULL,
    PRIMARY KEY (community_id, volunteer_id, team_id, category, month)
);
-- The matrix reads a year of the community's rollup by month; the index
-- holds every column it needs, so it never visits the table.
CREATE INDEX hours_rollup_cells ON hours_rollup(community_id, month, team_id, category, volunteer_id, minutes);
CREATE INDEX hours_rollup_team ON hours_rollup(team_id, month);

-- One row per recording (a roster, a check-in sheet, one back-fill): the
-- activity as held, so the matrix counts activities without scanning
-- a year of records.
CREATE TABLE record_batches (
    batch         TEXT PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    team_id       INTEGER,
    category      TEXT NOT NULL,
    activity_name TEXT NOT NULL,
    service_date  TEXT NOT NULL,
    people        INTEGER NOT NULL,
    recorded_at   TIMESTAMP NOT NULL
);
CREATE INDEX record_batches_date ON record_batches(community_id, service_date);
CREATE INDEX record_batches_team ON record_batches(team_id, service_date);

CREATE TABLE star_rules (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id),
    thresholds   TEXT NOT NULL,
    updated_by   INTEGER REFERENCES accounts(id),
    updated_at   TIMESTAMP NOT NULL
);
