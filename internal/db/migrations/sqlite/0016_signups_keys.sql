-- PostgreSQL's 0016 joins the sign-up's keys to its community and its
-- occurrence into one, because its foreign-key checks share-lock the
-- referenced rows. SQLite's checks take no row locks and changing a key
-- here means rebuilding the table: nothing to change. Kept so that the
-- two lists of migrations stay in step.
SELECT 1;
