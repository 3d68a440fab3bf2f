#!/usr/bin/env bash
# Store benchmark (make bench): durable commands per second on SQLite
# (WAL, synchronous=FULL: every acknowledged command is fsynced) and on a
# throwaway PostgreSQL (fsync on), then `audit verify` over 1M events.
#   EVENTS=1000000 CASES=400 bash bench/store_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
CASES=${CASES:-400}
cargo build --release --locked -p zhishen-store --example store_bench
BENCH=${CARGO_TARGET_DIR:-target}/release/examples/store_bench
tmp=$(mktemp -d /tmp/zhishen-store-bench-XXXXXX)
export ZHISHEN_PG_STATE=$tmp/pg.state
cleanup() { bash scripts/pg-test.sh stop >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

echo "== store: durable commands per second (each acknowledged only after its fsynced commit)"
echo "   clients = concurrent callers of Store::execute; group commit shares one transaction among them"
for c in 1 16 64; do
  echo "SQLite (WAL, synchronous=FULL), $c client(s): $("$BENCH" commands "sqlite://$tmp/bench-$c.db" "$CASES" "$c")"
done
echo "SQLite, 16 clients, group commit off: $("$BENCH" commands "sqlite://$tmp/bench-nogroup.db" "$CASES" 16 nogroup)"
if pg=$(bash scripts/pg-test.sh start 2>/dev/null); then
  ver=$(psql "$pg" -Atc 'SHOW server_version' 2>/dev/null || true)
  for c in 1 16; do
    echo "PostgreSQL $ver (fsync on), $c client(s): $("$BENCH" commands "$pg" "$CASES" "$c")"
  done
  echo "PostgreSQL, 16 clients, group commit off: $("$BENCH" commands "$pg" "$CASES" 16 nogroup)"
else
  echo "PostgreSQL: skipped (no server; make deps installs it)"
fi
echo "== audit verify over $EVENTS synthetic events"
echo "SQLite: $("$BENCH" verify "sqlite://$tmp/verify.db" "$EVENTS")"
