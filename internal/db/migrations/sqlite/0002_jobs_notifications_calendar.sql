-- Durable jobs (with the scheduler's slots), the notifications outbox and
-- its webhooks, and the working-day calendar. Keep in step with
-- postgres/0002.

-- One row per unit of background work. A worker claims a due row by
-- setting status 'running' with a lease (locked_by, locked_until) and
-- incrementing attempts; attempts doubles as the fencing token, so a worker
-- whose lease ran out cannot overwrite the outcome of the one that took the
-- job over. unique_key is NULL for ordinary jobs; set, it makes a second
-- enqueue of the same key a no-op (scheduler slots, outbox event ids).
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    community_id INTEGER REFERENCES communities(id),
    unique_key   TEXT UNIQUE,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX jobs_due ON jobs(status, run_at);
CREATE INDEX jobs_lease ON jobs(status, locked_until);

-- The in-app inbox. event_id is stable per recipient and event, so a
-- producer that runs twice (a retried job) cannot notify twice.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER REFERENCES communities(id),
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    event_id     TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    link         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    read_at      TIMESTAMP
);
CREATE INDEX notifications_account ON notifications(account_id, read_at, id);

-- Outgoing webhooks an admin configured for a community. events is '*' or
-- a comma-separated list of notification kinds. secret signs each body.
CREATE TABLE webhooks (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    events       TEXT NOT NULL DEFAULT '*',
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_community ON webhooks(community_id);

-- Exceptions to the Monday-to-Friday week: public holidays and make-up
-- workdays (调休). day is 'YYYY-MM-DD' text here and DATE in PostgreSQL;
-- stores read it back as the same text on both.
CREATE TABLE calendar_days (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    day          TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    created_by   INTEGER REFERENCES accounts(id),
    UNIQUE (community_id, day)
);
