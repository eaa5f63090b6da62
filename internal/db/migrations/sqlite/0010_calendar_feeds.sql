-- Calendar feeds: one secret URL per (account, community, kind, scope)
-- that a phone subscribes to without signing in. kind is 'community',
-- 'team' (scope_id the team) or 'person' (scope_id 0: the account's own
-- sign-ups). The token is never stored in the clear: token_hash (its
-- SHA-256) finds the row when a feed is fetched, token_enc (sealed with
-- the server's key) lets the owner see their URL again. Keep in step with
-- postgres/0010.

CREATE TABLE calendar_feeds (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    kind         TEXT NOT NULL,
    scope_id     INTEGER NOT NULL DEFAULT 0,
    token_hash   TEXT NOT NULL UNIQUE,
    token_enc    TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (account_id, community_id, kind, scope_id)
);
