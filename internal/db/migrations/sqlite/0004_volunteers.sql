-- The volunteer matrix, part one: volunteers with their skills, grids,
-- availability and consents; guardians of child volunteers; team
-- membership; what backs a team; partner organisations' details and
-- commitments; the community's age rules. Keep in step with postgres/0004.
--
-- A volunteer is usually a resident: then the person's name, birth date,
-- phone and ID number stay in the registry (sealed there) and are not
-- copied here. Only an outside adult (a teacher, a partner's staff member)
-- has them in this table, sealed the same way. Children must be residents.

-- Per-community counters for numbers people see (volunteer numbers,
-- certificate serials): an UPDATE … RETURNING on one row is serialised by
-- the row lock (PostgreSQL) or the write lock (SQLite).
CREATE TABLE counters (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    value        INTEGER NOT NULL,
    PRIMARY KEY (community_id, name)
);

CREATE TABLE age_rules (
    community_id     INTEGER PRIMARY KEY REFERENCES communities(id),
    min_age          INTEGER NOT NULL,
    accompany_under  INTEGER NOT NULL,
    consent_under    INTEGER NOT NULL,
    updated_by       INTEGER REFERENCES accounts(id),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE skills (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

ALTER TABLE teams ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN founded_on TEXT;
ALTER TABLE teams ADD COLUMN min_age INTEGER;
ALTER TABLE teams ADD COLUMN max_age INTEGER;
ALTER TABLE teams ADD COLUMN meets TEXT NOT NULL DEFAULT '';

ALTER TABLE organisations ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TABLE organisation_commitments (
    id              INTEGER PRIMARY KEY,
    community_id    INTEGER NOT NULL REFERENCES communities(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    year            INTEGER NOT NULL,
    text            TEXT NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES accounts(id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX organisation_commitments_org ON organisation_commitments(organisation_id, year);

CREATE TABLE team_organisations (
    team_id         INTEGER NOT NULL REFERENCES teams(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (team_id, organisation_id)
);

CREATE TABLE volunteers (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    number        TEXT NOT NULL UNIQUE,
    resident_id   INTEGER REFERENCES residents(id),
    account_id    INTEGER UNIQUE REFERENCES accounts(id),
    -- outside adults only (resident volunteers keep these in the registry)
    name          TEXT NOT NULL DEFAULT '',
    gender        TEXT NOT NULL DEFAULT '',
    birth_date    TEXT,
    phone_enc     TEXT NOT NULL DEFAULT '',
    phone_bidx    TEXT NOT NULL DEFAULT '',
    id_enc        TEXT NOT NULL DEFAULT '',
    id_bidx       TEXT,
    -- the profile
    skills_other  TEXT NOT NULL DEFAULT '',
    categories    TEXT NOT NULL DEFAULT '',
    availability  INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active',
    registered_via TEXT NOT NULL,
    registered_by INTEGER REFERENCES accounts(id),
    registered_at TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (community_id, resident_id),
    UNIQUE (community_id, id_bidx)
);

CREATE TABLE volunteer_skills (
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    skill_id     INTEGER NOT NULL REFERENCES skills(id),
    PRIMARY KEY (volunteer_id, skill_id)
);
CREATE INDEX volunteer_skills_skill ON volunteer_skills(skill_id);

CREATE TABLE volunteer_grids (
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    grid_id      INTEGER NOT NULL REFERENCES grids(id),
    PRIMARY KEY (volunteer_id, grid_id)
);

-- Consents are records, never flags: who gave which consent, when, on
-- whose behalf, and when it was withdrawn. kind: general, publicity
-- (photos and stories), guardian (a guardian's consent for a minor, with
-- the guardian's resident row and relation).
CREATE TABLE consents (
    id                   INTEGER PRIMARY KEY,
    community_id         INTEGER NOT NULL REFERENCES communities(id),
    volunteer_id         INTEGER NOT NULL REFERENCES volunteers(id),
    kind                 TEXT NOT NULL,
    scope                TEXT NOT NULL DEFAULT '',
    given_on             TEXT NOT NULL,
    given_by             TEXT NOT NULL,
    guardian_resident_id INTEGER REFERENCES residents(id),
    relation             TEXT NOT NULL DEFAULT '',
    recorded_by          INTEGER REFERENCES accounts(id),
    recorded_at          TIMESTAMP NOT NULL,
    withdrawn_at         TIMESTAMP,
    withdrawn_by         INTEGER REFERENCES accounts(id)
);
CREATE INDEX consents_volunteer ON consents(volunteer_id, kind);
CREATE INDEX consents_guardian ON consents(guardian_resident_id);

CREATE TABLE team_members (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    role         TEXT NOT NULL DEFAULT 'member',
    accompanied  INTEGER NOT NULL DEFAULT 0,
    joined_on    TEXT NOT NULL,
    left_on      TEXT,
    added_by     INTEGER REFERENCES accounts(id),
    created_at   TIMESTAMP NOT NULL
);
-- One current membership per person and team; past ones stay as history.
CREATE UNIQUE INDEX team_members_current ON team_members(team_id, volunteer_id) WHERE left_on IS NULL;
CREATE INDEX team_members_volunteer ON team_members(volunteer_id);
