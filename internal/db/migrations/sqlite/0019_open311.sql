-- Open311 GeoReport v2 (issue 6 item 9). Keep in step with postgres/0019.
--
-- open311_keys are the API keys that may POST requests, one community
-- each. Only a SHA-256 of the key is kept (keys are 32 random bytes, so
-- a fast hash is enough); prefix is its first characters, shown in lists
-- so an admin can tell keys apart. revoked_at set: the key answers 403.
CREATE TABLE open311_keys (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_by   INTEGER REFERENCES accounts(id),
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX open311_keys_community ON open311_keys(community_id);

-- What an Open311 client adds to a request: where it was (WGS84, as
-- given), the submitter's email (sealed like the phone), the key it came
-- with, and a token the client may poll (GET tokens/{token}).
ALTER TABLE requests ADD COLUMN lat REAL;
ALTER TABLE requests ADD COLUMN lng REAL;
ALTER TABLE requests ADD COLUMN contact_email_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN open311_key_id INTEGER REFERENCES open311_keys(id);
ALTER TABLE requests ADD COLUMN open311_token TEXT;
CREATE UNIQUE INDEX requests_open311_token ON requests(open311_token);
-- GET requests.json reads a community's latest requests by date.
CREATE INDEX requests_created ON requests(community_id, created_at);
