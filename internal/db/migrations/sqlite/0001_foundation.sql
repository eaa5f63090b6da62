-- Foundation: instance settings, tenancy (street > community > grid),
-- accounts with scoped grants, sessions, login throttling, audit log.
-- Times are TIMESTAMP columns holding UTC text written by the driver, so
-- they compare correctly as strings. Keep in step with postgres/0001.

CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE seed_steps (
    name       TEXT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
);

CREATE TABLE streets (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    district   TEXT NOT NULL DEFAULT '',
    city       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE communities (
    id         INTEGER PRIMARY KEY,
    street_id  INTEGER NOT NULL REFERENCES streets(id),
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX communities_street ON communities(street_id);

CREATE TABLE grids (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    number       INTEGER NOT NULL,
    name         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, number)
);

CREATE TABLE party_branches (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

-- Teams and partner organisations appear here because grants are scoped to
-- them; the volunteers issue adds their other columns.
CREATE TABLE teams (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

-- Accounts are city-wide: one person may hold grants in several
-- communities (a street supervisor, a partner serving two communities).
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    email               TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'zh-CN',
    large_text          INTEGER NOT NULL DEFAULT 0,
    disabled_at         TIMESTAMP,
    password_changed_at TIMESTAMP NOT NULL,
    last_seen_at        TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

-- A grant is one role with one scope. Which scope column is set depends on
-- the role (see accounts.Role); the rest stay NULL. household_id gets its
-- foreign key when the registry creates households.
CREATE TABLE grants (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    street_id       INTEGER REFERENCES streets(id),
    community_id    INTEGER REFERENCES communities(id),
    grid_id         INTEGER REFERENCES grids(id),
    team_id         INTEGER REFERENCES teams(id),
    organisation_id INTEGER REFERENCES organisations(id),
    household_id    INTEGER,
    created_by      INTEGER REFERENCES accounts(id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX grants_account ON grants(account_id);
CREATE INDEX grants_community ON grants(community_id);

-- Server-side sessions. Only the SHA-256 of the token is stored, so a copy
-- of the database does not hand out live sessions. kind is 'web' (cookie)
-- or 'api' (Bearer); auth_level leaves room for a second factor.
CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    auth_level      TEXT NOT NULL DEFAULT 'password',
    client_addr     TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    last_seen_at    TIMESTAMP NOT NULL,
    idle_expires_at TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Failed sign-ins per (username, client address): locking the pair, not
-- the account, keeps an attacker elsewhere from locking the user out.
CREATE TABLE login_throttle (
    username        TEXT NOT NULL,
    client_addr     TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    first_failed_at TIMESTAMP NOT NULL,
    last_failed_at  TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    PRIMARY KEY (username, client_addr)
);
CREATE INDEX login_throttle_addr ON login_throttle(client_addr, last_failed_at);

-- Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT '',
    community_id INTEGER,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL DEFAULT '',
    object_id    TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL,
    client_addr  TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_community_at ON audit_log(community_id, at);
CREATE INDEX audit_log_actor_at ON audit_log(actor_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
