-- Queues at city scale (issue 6: queue pages over 1,000,000 requests).
-- Keep in step with sqlite/0022.
--
-- request_counts holds how many requests each community has in each
-- status, kept by triggers on every insert, delete and change of
-- status, so a queue's total over a whole status (the closed tab: nearly
-- all of a million rows) is a sum of a few rows instead of a count(*)
-- over an index. The triggers make it exact whatever writes the
-- requests: the application, the demo, an import or a hand-written
-- statement.
CREATE TABLE request_counts (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    status       TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (community_id, status)
);
INSERT INTO request_counts (community_id, status, n)
    SELECT community_id, status, count(*) FROM requests GROUP BY community_id, status;

-- The triggers run once per statement over its transition tables, not
-- once per row: a statement that writes many requests (an import, the
-- scale bench's million) moves each count once, where a row trigger would
-- update the same few count rows a million times in one transaction and
-- walk ever longer chains of their dead versions. Each applies all its
-- changes in one UPDATE, so two transactions moving requests in opposite
-- directions (a close and a reopen) lock the count rows in the same order.
CREATE FUNCTION request_counts_apply(deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_counts (community_id, status, n)
        SELECT (d->>'community_id')::bigint, d->>'status', 0 FROM jsonb_array_elements(deltas) d
        ON CONFLICT (community_id, status) DO NOTHING;
    UPDATE request_counts c SET n = c.n + (d->>'n')::bigint
        FROM jsonb_array_elements(deltas) d
        WHERE c.community_id = (d->>'community_id')::bigint AND c.status = d->>'status';
END $$;
CREATE FUNCTION request_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM request_counts_apply((SELECT COALESCE(jsonb_agg(x), '[]') FROM (
        SELECT community_id, status, count(*) AS n FROM new_rows GROUP BY community_id, status) x));
    RETURN NULL;
END $$;
CREATE FUNCTION request_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM request_counts_apply((SELECT COALESCE(jsonb_agg(x), '[]') FROM (
        SELECT community_id, status, -count(*) AS n FROM old_rows GROUP BY community_id, status) x));
    RETURN NULL;
END $$;
CREATE FUNCTION request_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM request_counts_apply((SELECT COALESCE(jsonb_agg(x), '[]') FROM (
        SELECT community_id, status, sum(n) AS n FROM (
            SELECT community_id, status, 1 AS n FROM new_rows
            UNION ALL SELECT community_id, status, -1 FROM old_rows) m
        GROUP BY community_id, status HAVING sum(n) <> 0) x));
    RETURN NULL;
END $$;
CREATE TRIGGER request_counts_insert AFTER INSERT ON requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_counts_insert();
CREATE TRIGGER request_counts_delete AFTER DELETE ON requests REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_counts_delete();
CREATE TRIGGER request_counts_update AFTER UPDATE ON requests REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_counts_update();

-- Queues and GET requests.json walk a community's requests newest first
-- (created_at, then id) and filter on status or category: with both in
-- the index the walk reads no table row it then throws away, and a deep
-- page skips its offset inside the index. It replaces requests_created,
-- its prefix.
DROP INDEX requests_created;
CREATE INDEX requests_recent ON requests(community_id, created_at, id, status, category_id);

-- The open queue's filters, all in one index led by the status: the
-- building view's counts, the overdue tab (its three dues), a grid, a
-- handler, and the reach of a partner, a leader or a resident (who
-- registered or asked) are counted from the index alone, over the open
-- requests only, however many closed ones the community holds; with
-- created_at last, a page of them is sorted from the index alone too.
CREATE INDEX requests_queue ON requests(community_id, status, grid_id, building_id, handler_kind, handler_id,
    created_by, requester_account_id, resident_id, dispatch_due, sign_due, feedback_due, created_at);

-- A handler's requests ("mine", a team's), counted and sorted for a
-- page without reading the rows.
DROP INDEX requests_handler;
CREATE INDEX requests_handler ON requests(handler_kind, handler_id, status, community_id, created_at);
