-- Queues at city scale (issue 6: queue pages over 1,000,000 requests).
-- Keep in step with postgres/0022.
--
-- request_counts holds how many requests each community has in each
-- status, kept by triggers on every insert, delete and change of status,
-- so a queue's total over a whole status (the closed tab: nearly all of
-- a million rows) is a sum of a few rows instead of a count(*) over an
-- index. The triggers make it exact whatever writes the requests: the
-- application, the demo, an import or a hand-written statement.
CREATE TABLE request_counts (
    community_id INTEGER NOT NULL REFERENCES communities(id),
    status       TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (community_id, status)
);
INSERT INTO request_counts (community_id, status, n)
    SELECT community_id, status, count(*) FROM requests GROUP BY community_id, status;

CREATE TRIGGER request_counts_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO request_counts (community_id, status, n) VALUES (NEW.community_id, NEW.status, 1)
        ON CONFLICT (community_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER request_counts_delete AFTER DELETE ON requests
BEGIN
    UPDATE request_counts SET n = n - 1 WHERE community_id = OLD.community_id AND status = OLD.status;
END;
CREATE TRIGGER request_counts_update AFTER UPDATE OF community_id, status ON requests
    WHEN OLD.community_id <> NEW.community_id OR OLD.status <> NEW.status
BEGIN
    UPDATE request_counts SET n = n - 1 WHERE community_id = OLD.community_id AND status = OLD.status;
    INSERT INTO request_counts (community_id, status, n) VALUES (NEW.community_id, NEW.status, 1)
        ON CONFLICT (community_id, status) DO UPDATE SET n = n + 1;
END;

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
