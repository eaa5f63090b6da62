-- A sign-up's two foreign keys, to its community and to its occurrence,
-- become one key to the pair (occurrence, community).
--
-- Why: PostgreSQL checks a foreign key by taking FOR KEY SHARE on the
-- referenced row. Every sign-up of a community referenced the same
-- communities row, so hundreds signing up at once all share-locked one
-- row, which PostgreSQL tracks with a MultiXact per overlap: the most
-- expensive part of a sign-up. The occurrence row is already locked by
-- the sign-up's own UPDATE, so checking the key against it costs nothing
-- more, and the pair also proves the sign-up's community is its date's,
-- which the two keys did not.
ALTER TABLE occurrences ADD CONSTRAINT occurrences_id_community UNIQUE (id, community_id);
ALTER TABLE signups DROP CONSTRAINT signups_community_id_fkey;
ALTER TABLE signups DROP CONSTRAINT signups_occurrence_id_fkey;
ALTER TABLE signups ADD CONSTRAINT signups_occurrence_community_fkey
    FOREIGN KEY (occurrence_id, community_id) REFERENCES occurrences(id, community_id);

-- Who signed someone up is kept like the audit log keeps its actors: by
-- id, without a key. Accounts are never deleted (they are disabled), and
-- the key share-locked the worker's account row for every sign-up they
-- made, which a worker signing up a class at once turned into the same
-- pile-up on one row.
ALTER TABLE signups DROP CONSTRAINT signups_signed_by_fkey;
