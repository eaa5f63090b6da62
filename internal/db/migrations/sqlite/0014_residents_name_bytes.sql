-- The name index under the same name as PostgreSQL's, which compares
-- bytes (COLLATE "C") to match SQLite's BINARY, the default here. Keep in
-- step with postgres/0014.
DROP INDEX residents_name;
CREATE INDEX residents_name_c ON residents(community_id, name);
