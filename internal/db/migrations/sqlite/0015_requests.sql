-- Residents' requests (诉求/工单), issue 6 step one: the request, its
-- states and its timeline. Keep in step with postgres/0015.
--
-- request_categories is a tree per community (parent_id); the defaults
-- are written by the application the first time a community needs them
-- (internal/requests/categories.go), so communities created later get
-- them too. public says whether the later Open311 side may show a
-- category: never for disputes, benefits, elderly care or mediation.
CREATE TABLE request_categories (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    parent_id    INTEGER REFERENCES request_categories(id),
    code         TEXT NOT NULL,
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    public       INTEGER NOT NULL DEFAULT 0,
    position     INTEGER NOT NULL DEFAULT 0,
    retired_at   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, code)
);

-- One request. number is 2026-000123, unique per community (the year is
-- part of it). status changes only by a conditional UPDATE ... WHERE
-- status = the status the transition started from, and last_seq numbers
-- the timeline, so two transitions racing cannot both win. grid_id is
-- the grid of the place (for a grid worker's scope), copied at intake.
-- The due columns stay NULL until deadlines land (issue 6 step two).
-- contact_phone_enc is sealed like the registry's phones.
CREATE TABLE requests (
    id                   INTEGER PRIMARY KEY,
    community_id         INTEGER NOT NULL REFERENCES communities(id),
    number               TEXT NOT NULL,
    channel              TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    category_id          INTEGER NOT NULL REFERENCES request_categories(id),
    household_id         INTEGER REFERENCES households(id),
    building_id          INTEGER REFERENCES buildings(id),
    grid_id              INTEGER REFERENCES grids(id),
    address              TEXT NOT NULL DEFAULT '',
    description          TEXT NOT NULL,
    urgency              TEXT NOT NULL,
    resident_id          INTEGER REFERENCES residents(id),
    requester_account_id INTEGER REFERENCES accounts(id),
    contact_name         TEXT NOT NULL DEFAULT '',
    contact_phone_enc    TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL,
    handler_kind         TEXT,
    handler_id           INTEGER,
    merged_into          INTEGER REFERENCES requests(id),
    resolved             INTEGER,
    satisfaction         TEXT,
    reopen_count         INTEGER NOT NULL DEFAULT 0,
    last_seq             INTEGER NOT NULL DEFAULT 0,
    created_by           INTEGER REFERENCES accounts(id),
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    accepted_at          TIMESTAMP,
    dispatched_at        TIMESTAMP,
    signed_at            TIMESTAMP,
    result_at            TIMESTAMP,
    closed_at            TIMESTAMP,
    dispatch_due         TIMESTAMP,
    sign_due             TIMESTAMP,
    feedback_due         TIMESTAMP,
    close_due            TIMESTAMP,
    UNIQUE (community_id, number)
);
CREATE INDEX requests_status ON requests(community_id, status, created_at);
CREATE INDEX requests_grid ON requests(grid_id, status);
CREATE INDEX requests_handler ON requests(handler_kind, handler_id, status);
CREATE INDEX requests_resident ON requests(resident_id);
CREATE INDEX requests_requester ON requests(requester_account_id);
CREATE INDEX requests_created_by ON requests(created_by);
CREATE INDEX requests_building ON requests(building_id, category_id, status);

-- The timeline: one row per transition, numbered per request. actor_id
-- is NULL for the system; resolved and satisfaction are set by a
-- callback, handler_kind/handler_id by a dispatch, until_at by an
-- extension request. attachments will hold the ids of photos once they
-- land (a comma-separated list), NULL until then.
CREATE TABLE request_events (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    request_id    INTEGER NOT NULL REFERENCES requests(id),
    seq           INTEGER NOT NULL,
    action        TEXT NOT NULL,
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    actor_id      INTEGER REFERENCES accounts(id),
    actor_role    TEXT NOT NULL DEFAULT '',
    at            TIMESTAMP NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    handler_kind  TEXT,
    handler_id    INTEGER,
    until_at      TIMESTAMP,
    resolved      INTEGER,
    satisfaction  TEXT,
    attachments   TEXT,
    UNIQUE (request_id, seq)
);
CREATE INDEX request_events_at ON request_events(community_id, at);

-- Linked requests: kind 'duplicate' when one was merged into the other,
-- 'related' otherwise. Stored once, from the lower id to the higher.
CREATE TABLE request_links (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    linked_id  INTEGER NOT NULL REFERENCES requests(id),
    kind       TEXT NOT NULL,
    created_by INTEGER REFERENCES accounts(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, linked_id)
);
CREATE INDEX request_links_linked ON request_links(linked_id);
