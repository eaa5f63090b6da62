-- Activities, part one: places, series with an RFC 5545 rule, their
-- occurrences (each with its own roster) and sign-ups with capacity and a
-- waitlist. occurrences.signed counts the signed-up and is raised only
-- by a conditional update (signed < capacity), so capacity holds however
-- many sign up at once; waitlist positions come from occurrences.wait_seq
-- the same way. Keep in step with the other dialect's 0008.

CREATE TABLE places (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    capacity     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE activities (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL DEFAULT '',
    team_id        INTEGER REFERENCES teams(id),
    place_id       INTEGER REFERENCES places(id),
    category       TEXT NOT NULL DEFAULT '',
    tasks          TEXT NOT NULL DEFAULT '',
    risks          TEXT NOT NULL DEFAULT '',
    protection     TEXT NOT NULL DEFAULT '',
    insurance      TEXT NOT NULL DEFAULT '',
    min_age        INTEGER,
    max_age        INTEGER,
    accompany      INTEGER NOT NULL DEFAULT 0,
    walk_ins       INTEGER NOT NULL DEFAULT 0,
    open_to        TEXT NOT NULL,
    capacity       INTEGER NOT NULL,
    deadline_hours INTEGER NOT NULL DEFAULT 0,
    visibility     TEXT NOT NULL DEFAULT 'members',
    dtstart        TIMESTAMP NOT NULL,
    minutes        INTEGER NOT NULL,
    rrule          TEXT NOT NULL DEFAULT '',
    created_by     INTEGER REFERENCES accounts(id),
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX activities_community ON activities(community_id);

CREATE TABLE activity_organisations (
    activity_id     INTEGER NOT NULL REFERENCES activities(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (activity_id, organisation_id)
);

CREATE TABLE occurrences (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    activity_id    INTEGER NOT NULL REFERENCES activities(id),
    original_start TIMESTAMP NOT NULL,
    starts_at      TIMESTAMP NOT NULL,
    ends_at        TIMESTAMP NOT NULL,
    capacity       INTEGER NOT NULL,
    signed         INTEGER NOT NULL DEFAULT 0 CHECK (signed >= 0),
    wait_seq       INTEGER NOT NULL DEFAULT 0,
    cancelled      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (activity_id, original_start),
    CHECK (signed <= capacity)
);
CREATE INDEX occurrences_community ON occurrences(community_id, starts_at);

CREATE TABLE signups (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    occurrence_id INTEGER NOT NULL REFERENCES occurrences(id),
    volunteer_id  INTEGER NOT NULL REFERENCES volunteers(id),
    status        TEXT NOT NULL,
    position      INTEGER NOT NULL DEFAULT 0,
    accompanied   INTEGER NOT NULL DEFAULT 0,
    late_cancel   INTEGER NOT NULL DEFAULT 0,
    signed_by     INTEGER REFERENCES accounts(id),
    created_at    TIMESTAMP NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);
-- One live sign-up per person and occurrence; cancelled ones stay.
CREATE UNIQUE INDEX signups_live ON signups(occurrence_id, volunteer_id) WHERE status <> 'cancelled';
CREATE INDEX signups_waitlist ON signups(occurrence_id, status, position);
CREATE INDEX signups_volunteer ON signups(volunteer_id);

-- Who came: checked in by scanning the organiser's QR code (which
-- changes every minute), ticked on the roster by the organiser, or
-- walked in; checked out one by one or all at once.
CREATE TABLE checkins (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id),
    volunteer_id   INTEGER NOT NULL REFERENCES volunteers(id),
    how            TEXT NOT NULL,
    checked_in_at  TIMESTAMP NOT NULL,
    checked_out_at TIMESTAMP,
    by_account     INTEGER REFERENCES accounts(id),
    UNIQUE (occurrence_id, volunteer_id)
);
