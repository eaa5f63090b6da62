-- Names are searched and ordered by their bytes (COLLATE "C", as SQLite
-- does), so that both engines agree whatever the server's locale. An
-- index in the database's default collation cannot serve such a query:
-- a name-prefix search walked the whole community (p99 25 ms among a
-- million residents). The index now compares bytes too. Keep in step
-- with sqlite/0014.
DROP INDEX residents_name;
CREATE INDEX residents_name_c ON residents(community_id, name COLLATE "C");
