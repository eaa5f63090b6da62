-- Activities, part two: editing a series as a phone calendar does, and
-- reminders. "This and following" ends the old series' rule with UNTIL and
-- starts a new activity that names the old one (previous_id). One date may
-- differ from its series: its own title and place (NULL: the series'),
-- its own times (starts_at/ends_at against original_start). revision
-- counts the changes of an occurrence, so the notice of each change has
-- its own stable event id. Keep in step with the other dialect's 0009.

ALTER TABLE activities ADD COLUMN previous_id BIGINT REFERENCES activities(id);

ALTER TABLE occurrences ADD COLUMN title TEXT;
ALTER TABLE occurrences ADD COLUMN place_id BIGINT REFERENCES places(id);
ALTER TABLE occurrences ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- The reminder job scans the next day's occurrences.
CREATE INDEX occurrences_starts ON occurrences(starts_at);
