-- Queues at city scale (issue 6: queue pages over 1,000,000 requests).
-- Keep in step with sqlite/0022.
--
-- request_counts holds how many requests each community has in each
-- status, kept by a trigger on every insert, delete and change of
-- status, so a queue's total over a whole status (the closed tab: nearly
-- all of a million rows) is a sum of a few rows instead of a count(*)
-- over an index. The trigger makes it exact whatever writes the
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

-- A change of status moves one from the old row to the new in a single
-- UPDATE, so two transactions moving requests in opposite directions
-- (a close and a reopen) take the two row locks in the same (index)
-- order and cannot deadlock.
CREATE FUNCTION request_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.community_id = NEW.community_id AND OLD.status = NEW.status THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO request_counts (community_id, status, n) VALUES (NEW.community_id, NEW.status, 0)
            ON CONFLICT (community_id, status) DO NOTHING;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE request_counts SET n = n + 1 WHERE community_id = NEW.community_id AND status = NEW.status;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE request_counts SET n = n - 1 WHERE community_id = OLD.community_id AND status = OLD.status;
    ELSE
        UPDATE request_counts
            SET n = n + CASE WHEN community_id = NEW.community_id AND status = NEW.status THEN 1 ELSE -1 END
            WHERE (community_id = OLD.community_id AND status = OLD.status)
               OR (community_id = NEW.community_id AND status = NEW.status);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER request_counts_keep AFTER INSERT OR DELETE OR UPDATE OF community_id, status ON requests
    FOR EACH ROW EXECUTE FUNCTION request_counts_keep();

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

-- A handler's requests ("mine", a team's), counted without reading the
-- rows for their community.
DROP INDEX requests_handler;
CREATE INDEX requests_handler ON requests(handler_kind, handler_id, status, community_id);
