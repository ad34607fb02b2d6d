-- Migration step 2 (frozen): invitations and idempotency keys.
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
