-- orgreg schema: the current shape of the database, applied as a whole to an empty file.
-- Older files are brought here by the append-only steps in src/store/migrations/ (see
-- src/store/migrate.rs); a test proves both routes end up identical.
--
-- Every table keeps an INTEGER `seq` (row id, used by foreign keys and by the integer-id
-- profiles) and a TEXT `id` (the UUID shown on the native API). `*_key` columns hold the
-- Unicode-lowercased value that uniqueness and case-insensitive lookups use; `search_text`
-- holds the lowercased fields a list's `search` matches. `version` feeds the ETag.
-- Users and organizations use AUTOINCREMENT: their `seq` is an id on the wire (AWX) and
-- must never be reused after a delete.
CREATE TABLE users (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    username            TEXT NOT NULL,
    username_key        TEXT NOT NULL UNIQUE,
    email               TEXT,
    email_key           TEXT UNIQUE,
    first_name          TEXT NOT NULL DEFAULT '',
    last_name           TEXT NOT NULL DEFAULT '',
    company             TEXT NOT NULL DEFAULT '',
    job_title           TEXT NOT NULL DEFAULT '',
    avatar_url          TEXT,
    preferred_language  TEXT NOT NULL DEFAULT '',
    metadata            TEXT NOT NULL DEFAULT '{}',
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_staff            INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_service_account  INTEGER NOT NULL DEFAULT 0 CHECK (is_service_account IN (0, 1)),
    password_hash       TEXT,
    search_text         TEXT NOT NULL DEFAULT '',
    version             INTEGER NOT NULL DEFAULT 1,
    created             TEXT NOT NULL,
    modified            TEXT NOT NULL
);
CREATE TABLE customers (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    abbreviation  TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    created       TEXT NOT NULL,
    modified      TEXT NOT NULL
);
CREATE TABLE customer_owners (
    customer  INTEGER NOT NULL REFERENCES customers(seq) ON DELETE CASCADE,
    user      INTEGER NOT NULL REFERENCES users(seq) ON DELETE CASCADE,
    PRIMARY KEY (customer, user)
) WITHOUT ROWID;
CREATE INDEX customer_owners_user ON customer_owners(user);
CREATE TABLE organizations (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    name_key               TEXT NOT NULL UNIQUE,
    description            TEXT NOT NULL DEFAULT '',
    native_name            TEXT NOT NULL DEFAULT '',
    native_name_key        TEXT NOT NULL DEFAULT '',
    abbreviation           TEXT,
    abbreviation_key       TEXT UNIQUE,
    logo_url               TEXT,
    currency_code          TEXT CHECK (currency_code IS NULL OR length(currency_code) = 3),
    customer               INTEGER REFERENCES customers(seq),
    owner                  INTEGER REFERENCES users(seq) ON DELETE SET NULL,
    metadata               TEXT NOT NULL DEFAULT '{}',
    accepts_join_requests  INTEGER NOT NULL DEFAULT 1 CHECK (accepts_join_requests IN (0, 1)),
    search_text            TEXT NOT NULL DEFAULT '',
    version                INTEGER NOT NULL DEFAULT 1,
    created                TEXT NOT NULL,
    modified               TEXT NOT NULL,
    created_by             INTEGER REFERENCES users(seq) ON DELETE SET NULL,
    modified_by            INTEGER REFERENCES users(seq) ON DELETE SET NULL
);
CREATE INDEX organizations_customer ON organizations(customer);
CREATE INDEX organizations_owner ON organizations(owner);
CREATE INDEX organizations_created ON organizations(created, seq);
CREATE INDEX organizations_modified ON organizations(modified, seq);
CREATE TABLE memberships (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    organization  INTEGER NOT NULL REFERENCES organizations(seq) ON DELETE CASCADE,
    user          INTEGER NOT NULL REFERENCES users(seq) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'contributor', 'accounting', 'viewer')),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    approved_by   INTEGER REFERENCES users(seq) ON DELETE SET NULL,
    approved_at   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created       TEXT NOT NULL,
    modified      TEXT NOT NULL,
    UNIQUE (organization, user)
);
CREATE INDEX memberships_user ON memberships(user, organization);
CREATE TABLE tokens (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user       INTEGER NOT NULL REFERENCES users(seq) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('api', 'login', 'session')),
    name       TEXT NOT NULL DEFAULT '',
    prefix     TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    expires    TEXT,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    last_used  TEXT,
    created    TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user, seq);
CREATE TABLE activity (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    at            TEXT NOT NULL,
    actor         TEXT,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT,
    organization  TEXT,
    changes       TEXT NOT NULL DEFAULT '{}',
    request_id    TEXT,
    surface       TEXT NOT NULL DEFAULT 'v1'
);
CREATE INDEX activity_organization ON activity(organization, seq);
CREATE TABLE invitations (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    organization        INTEGER NOT NULL REFERENCES organizations(seq) ON DELETE CASCADE,
    email               TEXT NOT NULL,
    email_key           TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'contributor', 'accounting', 'viewer')),
    first_name          TEXT NOT NULL DEFAULT '',
    last_name           TEXT NOT NULL DEFAULT '',
    preferred_language  TEXT NOT NULL DEFAULT '',
    token_hash          BLOB NOT NULL UNIQUE,
    expires             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'revoked')),
    delivery_status     TEXT NOT NULL DEFAULT 'pending' CHECK (delivery_status IN ('pending', 'sent', 'failed')),
    invited_by          INTEGER REFERENCES users(seq) ON DELETE SET NULL,
    accepted_by         INTEGER REFERENCES users(seq) ON DELETE SET NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created             TEXT NOT NULL,
    modified            TEXT NOT NULL
);
CREATE INDEX invitations_organization ON invitations(organization, seq);
CREATE TABLE idempotency_keys (
    user          INTEGER NOT NULL REFERENCES users(seq) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    status        INTEGER NOT NULL,
    headers       TEXT NOT NULL,
    body          BLOB NOT NULL,
    created       TEXT NOT NULL,
    PRIMARY KEY (user, key)
) WITHOUT ROWID;
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
