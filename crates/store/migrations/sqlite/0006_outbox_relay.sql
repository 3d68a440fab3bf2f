-- Outbox relay to the 工改 exchange endpoint (crates/app/src/exchange.rs). Keep it
-- column-for-column equal to migrations/postgres/0006_outbox_relay.sql.
-- (0005 is another change landing in parallel; this one depends only on 0001.)
--
-- Each row remembers why its last delivery failed and when it was delivered.
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
-- The relay reads the lowest undelivered ids first (delivery is in id order).
CREATE INDEX outbox_undelivered ON outbox (id) WHERE state <> 'delivered';

-- Single-row lease: only the process holding it sends, so delivery order is
-- global even when several `zhishen serve` share one database. Claimed and
-- renewed with a conditional UPDATE; it expires when its holder dies.
CREATE TABLE outbox_relay (
    id              BIGINT  PRIMARY KEY CHECK (id = 1),
    owner           TEXT,
    lease_until_ms  BIGINT  NOT NULL,
    updated_at      TEXT
);
INSERT INTO outbox_relay (id, owner, lease_until_ms) VALUES (1, NULL, 0);
