-- An escalation (督办) is once per request, deadline, level and due: a
-- due that arises anew (a reopened request's feedback limit, a sign-for
-- limit after a return and a new dispatch, an extension) escalates again
-- when it passes, which the old key (without the due) silenced. Keep in
-- step with sqlite/0021.
ALTER TABLE request_escalations DROP CONSTRAINT request_escalations_pkey;
ALTER TABLE request_escalations ADD PRIMARY KEY (request_id, deadline, level, due_at);
