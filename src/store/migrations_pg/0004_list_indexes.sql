-- PostgreSQL migration step 4 (frozen): indexes for every list order and filter, and
-- trigram indexes for substring search. The twin of 0004_list_indexes.sql.
-- Indexes for the filters and orders the lists offer (each ends in `seq`, the tie-breaker).
CREATE INDEX organizations_native_name ON organizations(native_name_key, seq);
CREATE INDEX organizations_name ON organizations(name, seq);
CREATE INDEX organizations_currency ON organizations(currency_code, seq);
CREATE INDEX users_created ON users(created, seq);
CREATE INDEX memberships_status ON memberships(status, seq);
CREATE INDEX activity_object ON activity(object_id, seq);
CREATE INDEX activity_actor ON activity(actor, seq);
CREATE INDEX activity_action ON activity(action, seq);
CREATE INDEX activity_object_type ON activity(object_type, seq);
CREATE INDEX activity_at ON activity(at, seq);
-- Substring search. SQLite keeps FTS5 trigram tables (organizations_fts, users_fts) in
-- step with triggers; here a GIN index with pg_trgm's trigram operator class on the same
-- stored, already-folded `search_text` does that job, maintained by PostgreSQL itself (no
-- triggers, no rebuild: CREATE INDEX indexes the rows already there). It serves
-- `search_text LIKE '%term%'` (term with % _ \ escaped); like the FTS5 lookup it yields a
-- superset that is rechecked exactly, so results equal SQLite's `instr` predicate.
-- pg_trgm is a trusted extension (PostgreSQL >= 13): the database owner, not a
-- superuser, may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX organizations_search_trgm ON organizations USING gin (search_text gin_trgm_ops);
CREATE INDEX users_search_trgm ON users USING gin (search_text gin_trgm_ops);
