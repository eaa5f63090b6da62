-- An escalation (督办) is once per request, deadline, level and due: a
-- due that arises anew (a reopened request's feedback limit, a sign-for
-- limit after a return and a new dispatch, an extension) escalates again
-- when it passes, which the old key (without the due) silenced. Keep in
-- step with postgres/0021. SQLite cannot change a primary key in place:
-- the table is rebuilt.
CREATE TABLE request_escalations_new (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    deadline   TEXT NOT NULL,
    level      INTEGER NOT NULL,
    due_at     TIMESTAMP NOT NULL,
    at         TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, deadline, level, due_at)
);
INSERT INTO request_escalations_new (request_id, deadline, level, due_at, at)
    SELECT request_id, deadline, level, due_at, at FROM request_escalations;
DROP TABLE request_escalations;
ALTER TABLE request_escalations_new RENAME TO request_escalations;
