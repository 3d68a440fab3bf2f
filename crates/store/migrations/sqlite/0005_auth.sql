-- Sign-in, sessions, scoping and the access audit (issue 10). Same columns in the
-- SQLite and PostgreSQL flavours. Times that are compared are epoch milliseconds.

-- A user holds exactly one role: nobody can hold two administrator roles, and the
-- separation of duties (三员分立) is a property of the schema, not of a check.
CREATE TABLE app_user (
    id               TEXT    PRIMARY KEY,
    display_name     TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    enterprise       TEXT,                 -- applicants and agents: whose cases
    dept             TEXT,                 -- reviewers and approvers
    region           TEXT    NOT NULL,     -- 行政区划 scope
    password_hash    TEXT    NOT NULL,     -- argon2id PHC string
    totp_secret      TEXT    NOT NULL,     -- base32 (RFC 4648), RFC 6238 SHA-1 30 s
    totp_last_step   BIGINT  NOT NULL DEFAULT 0,  -- a code is accepted once
    failed_logins    BIGINT  NOT NULL DEFAULT 0,
    locked_until_ms  BIGINT  NOT NULL DEFAULT 0,
    disabled         BIGINT  NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL
);

-- Server-side sessions; the cookie carries a random id, the table its SHA-256.
CREATE TABLE app_session (
    id_sha256     TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    csrf          TEXT    NOT NULL,
    created_ms    BIGINT  NOT NULL,
    last_seen_ms  BIGINT  NOT NULL
);
CREATE INDEX app_session_user ON app_session (user_id);

-- API tokens for machine clients, stored hashed.
CREATE TABLE api_token (
    token_sha256  TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);

-- Who may see a case: the applicant's enterprise and the region it is filed in.
CREATE TABLE case_scope (
    case_id     TEXT    PRIMARY KEY,
    enterprise  TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    title       TEXT    NOT NULL
);

-- Every state-changing request and every refusal, hash-chained: entry n stores
-- hash_n = SHA-256(hash_{n-1} || canonical JSON of the entry).
CREATE TABLE access_audit (
    seq        BIGINT  PRIMARY KEY,
    at         TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    result     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE TABLE access_head (
    id    BIGINT  PRIMARY KEY CHECK (id = 1),
    size  BIGINT  NOT NULL,
    hash  TEXT    NOT NULL
);
INSERT INTO access_head (id, size, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Signed e-licences (电子证照) issued for concluded items; the signed JSON is a blob.
-- The public verification page looks a licence up by its number.
CREATE TABLE issued_licence (
    number      TEXT    PRIMARY KEY,
    case_id     TEXT    NOT NULL,
    item        TEXT    NOT NULL,
    blob_sha256 TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (case_id, item)
);

-- Designer pre-checks (设计自检): a model reviewed against the site without a case.
-- Reports are blobs; the row says whose they are (the enterprise sees its own).
CREATE TABLE precheck (
    id             TEXT    PRIMARY KEY,
    user_id        TEXT    NOT NULL,
    enterprise     TEXT    NOT NULL,
    model_sha256   TEXT    NOT NULL,
    report_sha256  TEXT    NOT NULL,
    parcel         TEXT    NOT NULL,
    verdict        TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
CREATE INDEX precheck_enterprise ON precheck (enterprise);
