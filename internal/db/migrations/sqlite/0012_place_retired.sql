-- Places are managed by the office: a place no longer used for new
-- activities is retired (retired_at set), never deleted, since activities
-- and dates of the past still point to it. Keep in step with postgres/0012.

ALTER TABLE places ADD COLUMN retired_at TIMESTAMP;
