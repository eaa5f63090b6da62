-- The organiser may keep a story inside the community (members_only)
-- though its activity was public: a story only narrows who sees it, so a
-- members-only activity's story stays members-only whatever this says.
-- Keep in step with postgres/0017.
ALTER TABLE stories ADD COLUMN members_only INTEGER NOT NULL DEFAULT 0;
