-- Migration step 1 (frozen): the foundation schema. Never edit a step once released;
-- append a new one and update schema.sql to match.
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
    request_id    TEXT
);
CREATE INDEX activity_organization ON activity(organization, seq);
