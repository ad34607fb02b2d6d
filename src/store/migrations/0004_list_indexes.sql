-- Migration step 4 (frozen): indexes for every list order and filter, and trigram
-- full-text indexes for substring search (see schema.sql).
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
-- Substring search: trigram FTS5 indexes over the stored `search_text` (already folded,
-- so the tokenizer is case-sensitive and folds nothing itself). External content (the
-- text stays in the base table only) and detail=none (no positions): a lookup returns the
-- rows holding every trigram of a term, a superset the store then checks with the exact
-- `instr` predicate. Triggers keep them in step with every insert, update and delete.
CREATE VIRTUAL TABLE organizations_fts USING fts5(search_text, content='organizations', content_rowid='seq', tokenize='trigram case_sensitive 1', detail='none');
CREATE TRIGGER organizations_fts_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO organizations_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER organizations_fts_delete AFTER DELETE ON organizations BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER organizations_fts_update AFTER UPDATE OF search_text ON organizations
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO organizations_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE VIRTUAL TABLE users_fts USING fts5(search_text, content='users', content_rowid='seq', tokenize='trigram case_sensitive 1', detail='none');
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search_text ON users
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO users_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
INSERT INTO organizations_fts (organizations_fts) VALUES ('rebuild');
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
