#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and benchmarks: a temp dir, 127.0.0.1 only,
# a free port, trust auth, run as `postgres` (via runuser) when we are root.
#   scripts/pg-test.sh start   # initdb + pg_ctl start, prints the URL
#   scripts/pg-test.sh url     # prints postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-test.sh stop    # stops the cluster and removes the temp dir
# State lives in $ZHISHEN_PG_STATE (default /tmp/zhishen-pg-test.$UID.state) so
# start/url/stop can run from different shells.
set -euo pipefail
state=${ZHISHEN_PG_STATE:-/tmp/zhishen-pg-test.$(id -u).state}

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  echo "pg-test: no PostgreSQL server found under /usr/lib/postgresql/*/bin (make deps installs it)" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
case "$cmd" in
  start)
    if [ -f "$state" ]; then
      # shellcheck disable=SC1090
      . "$state"
      if as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
        echo "postgres://postgres@127.0.0.1:$PORT/postgres"; exit 0
      fi
      rm -rf "$DIR"; rm -f "$state"
    fi
    BIN=$(bindir)
    DIR=$(mktemp -d /tmp/zhishen-pg-XXXXXX)
    PORT=$(free_port)
    mkdir -p "$DIR/sock"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$DIR"; fi
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
    # fsync stays on (the default): commands are acknowledged only when durable.
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR/sock -c max_connections=100" start >/dev/null
    printf 'BIN=%q\nDIR=%q\nPORT=%q\n' "$BIN" "$DIR" "$PORT" >"$state"
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  url)
    [ -f "$state" ] || { echo "pg-test: not started ($state missing)" >&2; exit 1; }
    # shellcheck disable=SC1090
    . "$state"
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    [ -f "$state" ] || exit 0
    # shellcheck disable=SC1090
    . "$state"
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"; rm -f "$state"
    ;;
  *)
    echo "usage: $0 start|url|stop" >&2; exit 2 ;;
esac
