-- The registry: estates (小区), buildings, units, households, residents,
-- the community's tag list, and the history of moves. Keep in step with
-- postgres/0003.
--
-- Personal data is sealed by the application (AES-GCM, key derived from
-- LINLI_SECRET_KEY) before it reaches these tables: columns ending in _enc
-- hold ciphertext, columns ending in _bidx a keyed hash (blind index) for
-- exact-match search. A copy of the database alone reveals no ID number,
-- phone, vulnerable status, note, nor anything about a child under 14.
-- Dates of birth are 'YYYY-MM-DD' text in both engines.

CREATE TABLE estates (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

-- number is normalised ("1号楼", "1栋" and "1" are all "1").
CREATE TABLE buildings (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    estate_id    INTEGER NOT NULL REFERENCES estates(id),
    grid_id      INTEGER REFERENCES grids(id),
    number       TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    year_built   INTEGER,
    floors       INTEGER,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (estate_id, number)
);
CREATE INDEX buildings_community ON buildings(community_id, grid_id);

CREATE TABLE units (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    building_id  INTEGER NOT NULL REFERENCES buildings(id),
    number       TEXT NOT NULL,
    UNIQUE (building_id, number)
);

-- A household is a flat. Its phone is sealed; head_resident_id points at
-- the resident recorded as 户主.
CREATE TABLE households (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES communities(id),
    unit_id          INTEGER NOT NULL REFERENCES units(id),
    room             TEXT NOT NULL,
    phone_enc        TEXT NOT NULL DEFAULT '',
    phone_bidx       TEXT NOT NULL DEFAULT '',
    head_resident_id INTEGER,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (unit_id, room)
);
CREATE INDEX households_community ON households(community_id);

-- The tags a community uses (独居老人, 低保, ...), maintained by its admins.
-- sensitive tags are vulnerable statuses: who holds them is sealed.
CREATE TABLE tags (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    sensitive    INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

-- A resident. name is clear for people of 14 and over (lists need it);
-- for a child it holds only a masked form ("王*") and the real name, birth
-- date and gender are in child_enc. Everything in notes_enc, tags_enc,
-- id_enc and phone_enc is sealed for everyone. moved_out_at set: the
-- resident has left the lists but stays in the records; nothing is deleted.
CREATE TABLE residents (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    household_id  INTEGER NOT NULL REFERENCES households(id),
    name          TEXT NOT NULL,
    name_bidx     TEXT NOT NULL,
    gender        TEXT NOT NULL DEFAULT '',
    birth_date    TEXT,
    child         INTEGER NOT NULL DEFAULT 0,
    child_enc     TEXT NOT NULL DEFAULT '',
    doc_type      TEXT NOT NULL DEFAULT '',
    id_enc        TEXT NOT NULL DEFAULT '',
    id_bidx       TEXT,
    phone_enc     TEXT NOT NULL DEFAULT '',
    phone_bidx    TEXT NOT NULL DEFAULT '',
    relation      TEXT NOT NULL DEFAULT '',
    party         INTEGER NOT NULL DEFAULT 0,
    tags_enc      TEXT NOT NULL DEFAULT '',
    notes_enc     TEXT NOT NULL DEFAULT '',
    moved_in_at   TIMESTAMP NOT NULL,
    moved_out_at  TIMESTAMP,
    anonymised_at TIMESTAMP,
    account_id    INTEGER UNIQUE REFERENCES accounts(id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (community_id, id_bidx)
);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_name ON residents(community_id, name);
CREATE INDEX residents_name_bidx ON residents(community_id, name_bidx);
CREATE INDEX residents_phone ON residents(community_id, phone_bidx);

-- Which residents carry which tag, as blind-index tokens, so a list can be
-- filtered by tag without the database knowing who is 低保.
CREATE TABLE resident_tags (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    token        TEXT NOT NULL,
    PRIMARY KEY (resident_id, token)
);
CREATE INDEX resident_tags_token ON resident_tags(community_id, token);

-- Moves in, out and between households, kept for good.
CREATE TABLE resident_moves (
    id                INTEGER PRIMARY KEY,
    community_id      INTEGER NOT NULL REFERENCES communities(id),
    resident_id       INTEGER NOT NULL REFERENCES residents(id),
    kind              TEXT NOT NULL,
    from_household_id INTEGER REFERENCES households(id),
    to_household_id   INTEGER REFERENCES households(id),
    reason            TEXT NOT NULL DEFAULT '',
    at                TIMESTAMP NOT NULL,
    by_account_id     INTEGER REFERENCES accounts(id)
);
CREATE INDEX resident_moves_resident ON resident_moves(resident_id, at);

-- Data-subject requests to erase: recorded when a resident asks, carried
-- out by a worker by anonymising the record (the history of services
-- given must be kept), or refused with a reason.
CREATE TABLE erasure_requests (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    resident_id    INTEGER NOT NULL REFERENCES residents(id),
    requested_by   INTEGER REFERENCES accounts(id),
    reason         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'open',
    decided_by     INTEGER REFERENCES accounts(id),
    decision_note  TEXT NOT NULL DEFAULT '',
    requested_at   TIMESTAMP NOT NULL,
    decided_at     TIMESTAMP
);
CREATE INDEX erasure_requests_community ON erasure_requests(community_id, status);
