-- Points (积分) and the points shop (积分超市): a double-entry ledger
-- kept apart from the statutory hours. Every transaction is rows of
-- point_entries summing to zero across accounts (a volunteer, the
-- community's issuance, the shop, expiry). point_balances caches each
-- volunteer's balance in the same transaction, and redemptions take points
-- and stock with conditional updates, so neither goes below zero however
-- many redeem at once. Keep in step with the other dialect's 0007.

CREATE TABLE point_rules (
    community_id     INTEGER PRIMARY KEY REFERENCES communities(id),
    per_hour         INTEGER NOT NULL,
    organiser_bonus  INTEGER NOT NULL,
    daily_cap        INTEGER NOT NULL,
    tiers            TEXT NOT NULL DEFAULT '',
    expire_yearly    INTEGER NOT NULL DEFAULT 0,
    updated_by       INTEGER REFERENCES accounts(id),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE point_entries (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    txn          TEXT NOT NULL,
    account      TEXT NOT NULL,
    volunteer_id INTEGER REFERENCES volunteers(id),
    amount       INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    ref          TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES accounts(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX point_entries_volunteer ON point_entries(volunteer_id, created_at);
CREATE INDEX point_entries_txn ON point_entries(txn);
-- An earning is written once per record, an expiry once per year.
CREATE UNIQUE INDEX point_entries_ref ON point_entries(community_id, kind, ref, account, volunteer_id) WHERE ref <> '';

CREATE TABLE point_balances (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    balance      INTEGER NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (volunteer_id)
);

CREATE TABLE shop_items (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    cost         INTEGER NOT NULL CHECK (cost > 0),
    stock        INTEGER NOT NULL CHECK (stock >= 0),
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE redemptions (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    item_id      INTEGER NOT NULL REFERENCES shop_items(id),
    quantity     INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    txn          TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_by   INTEGER REFERENCES accounts(id),
    created_at   TIMESTAMP NOT NULL,
    returned_at  TIMESTAMP,
    return_txn   TEXT
);
CREATE INDEX redemptions_volunteer ON redemptions(volunteer_id);
