-- zhishen store schema, SQLite flavour. Keep it column-for-column equal to
-- migrations/postgres/0001_init.sql: the store runs the same SQL on both.
-- Times are RFC 3339 text (+08:00 as written by the domain) plus an integer
-- epoch-millisecond column where the store must compare them.

-- Versioned definition texts (事项清单 catalogue, process, working-day calendar).
-- Immutable once published: a new version is a new row.
CREATE TABLE definition (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,            -- catalogue | process | calendar
    def_id      TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (kind, def_id, version)
);

-- Case projection (卷宗 state); the row is also the aggregate lock.
CREATE TABLE "case" (
    id                 TEXT    PRIMARY KEY,
    seq                BIGINT  NOT NULL,     -- events applied
    version            BIGINT  NOT NULL,     -- optimistic version, bumped per command
    process_id         TEXT    NOT NULL,
    process_version    TEXT    NOT NULL,
    catalogue_version  TEXT    NOT NULL,
    calendar_version   TEXT    NOT NULL,
    state              TEXT    NOT NULL,     -- projection JSON
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);

-- The event log of record. Append-only (triggers below).
CREATE TABLE case_event (
    id                 INTEGER PRIMARY KEY,
    case_id            TEXT    NOT NULL,
    seq                BIGINT  NOT NULL,     -- 1.. gap-free per case
    kind               TEXT    NOT NULL,
    actor_id           TEXT    NOT NULL,
    actor_role         TEXT    NOT NULL,
    actor_dept         TEXT,
    on_behalf_of       TEXT,                -- 帮办代办 agent, when one acts
    occurred_at        TEXT    NOT NULL,
    process_version    TEXT    NOT NULL,
    catalogue_version  TEXT    NOT NULL,
    calendar_version   TEXT    NOT NULL,
    payload            TEXT    NOT NULL,     -- event JSON
    alg                TEXT    NOT NULL,     -- sha256 | sm3
    prev_hash          BLOB    NOT NULL,
    hash               BLOB    NOT NULL,
    log_index          BIGINT  NOT NULL UNIQUE,
    request_id         TEXT    NOT NULL,
    request_part       BIGINT  NOT NULL,     -- 0.. within one command
    UNIQUE (case_id, seq),
    UNIQUE (request_id, request_part)
);

-- One row per accepted command: the idempotency key.
CREATE TABLE command_request (
    request_id  TEXT    PRIMARY KEY,
    case_id     TEXT    NOT NULL,
    first_seq   BIGINT  NOT NULL,
    last_seq    BIGINT  NOT NULL,
    created_at  TEXT    NOT NULL
);

-- Global RFC 6962 log: one leaf per event, idx = case_event.log_index.
CREATE TABLE log_leaf (
    idx        BIGINT  PRIMARY KEY,
    leaf_hash  BLOB    NOT NULL
);

-- Single-row head of the global log; locking it orders log appends.
CREATE TABLE log_head (
    id    BIGINT  PRIMARY KEY CHECK (id = 1),
    size  BIGINT  NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

CREATE TABLE checkpoint (
    id          INTEGER PRIMARY KEY,
    origin      TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    root        BLOB    NOT NULL,
    time        TEXT    NOT NULL,
    key_id      TEXT    NOT NULL,
    sig_alg     TEXT    NOT NULL,
    note        TEXT    NOT NULL
);

CREATE TABLE timer (
    case_id     TEXT    NOT NULL,
    timer_id    TEXT    NOT NULL,
    item        TEXT,
    kind        TEXT    NOT NULL,
    due         TEXT    NOT NULL,
    due_ms      BIGINT  NOT NULL,
    body        TEXT    NOT NULL,            -- timer JSON
    PRIMARY KEY (case_id, timer_id)
);
CREATE INDEX timer_due ON timer (due_ms);

-- Transactional outbox: one row per event for relays (at-least-once).
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    topic            TEXT    NOT NULL,
    msg_key          TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT  NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending',
    created_at       TEXT    NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, next_attempt_ms);

-- Content-addressed blobs; the bytes live in the blob store.
CREATE TABLE blob (
    sha256      TEXT    PRIMARY KEY,
    size        BIGINT  NOT NULL,
    media_type  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);

-- BIM review jobs (模型审查) for an item of a case.
CREATE TABLE review_job (
    id             INTEGER PRIMARY KEY,
    case_id        TEXT    NOT NULL,
    item           TEXT    NOT NULL,
    model_sha256   TEXT    NOT NULL,
    parcel         TEXT,
    status         TEXT    NOT NULL,         -- queued | running | done | failed
    report_sha256  TEXT,
    error          TEXT,
    attempts       BIGINT  NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    claimed_at     TEXT,
    finished_at    TEXT
);
CREATE INDEX review_job_status ON review_job (status, id);

-- Append-only: the log of record and the global tree reject changes.
CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event
BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END;
CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event
BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END;
CREATE TRIGGER log_leaf_no_update BEFORE UPDATE ON log_leaf
BEGIN SELECT RAISE(ABORT, 'log_leaf is append-only'); END;
CREATE TRIGGER log_leaf_no_delete BEFORE DELETE ON log_leaf
BEGIN SELECT RAISE(ABORT, 'log_leaf is append-only'); END;
CREATE TRIGGER definition_no_update BEFORE UPDATE ON definition
BEGIN SELECT RAISE(ABORT, 'definition is immutable'); END;
CREATE TRIGGER definition_no_delete BEFORE DELETE ON definition
BEGIN SELECT RAISE(ABORT, 'definition is immutable'); END;
CREATE TRIGGER checkpoint_no_update BEFORE UPDATE ON checkpoint
BEGIN SELECT RAISE(ABORT, 'checkpoint is append-only'); END;
CREATE TRIGGER checkpoint_no_delete BEFORE DELETE ON checkpoint
BEGIN SELECT RAISE(ABORT, 'checkpoint is append-only'); END;
