#!/usr/bin/env bash
# HTTP service benchmark (make bench): the release `zhishen serve --demo` on a temp
# SQLite store on loopback, driven by wrk (2 threads) with an API token.
#   bash bench/server_bench.sh [path/to/release/zhishen]
#   DURATION=15s CONNS="50 200" bash bench/server_bench.sh
# Reads: GET /api/cases/{id} (case JSON), GET /cases/{id} (case page), GET
# /api/catalogue at each connection count. Writes: POST /api/cases with a fresh
# request_id per request (each one a CreateCase command, durably committed and
# access-audited). Per scenario: requests/s, p50/p99 latency, non-2xx count, and
# the server's peak RSS in that scenario (VmHWM, reset between scenarios).
# Builds nothing: `make bench` builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/zhishen}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-50 200}
THREADS=${THREADS:-2}
[ -x "$BIN" ] || { echo "server_bench: no binary at $BIN (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "server_bench: wrk not installed (make deps)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/zhishen-server-bench-XXXXXX)
db="sqlite://$tmp/bench.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$BIN" serve --demo --db "$db" --addr "127.0.0.1:$port" --defs assets \
  --site datasets/district --parcel DK-05-1 >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
  sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { echo "server_bench: server did not start" >&2; cat "$tmp/serve.log" >&2; exit 1; }
ZHISHEN_TOKEN=$("$BIN" user token --db "$db" --id demo-applicant --name bench)
export ZHISHEN_TOKEN
case_id=$(curl -fs -H "Authorization: Bearer $ZHISHEN_TOKEN" "$base/api/cases" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["case"]["id"])')
demo_cases=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM \"case\"").fetchone()[0])' "$tmp/bench.db")
written=0

# Peak RSS of the server since the last reset (KiB); the reset (clear_refs 5) needs
# Linux >= 4.0 and our own process, else the peak is the run's so far.
reset_peak() { echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; }
peak_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

# wrk's latency figures in ms ("812.00us", "1.20ms", "2.01s").
ms() {
  python3 -c '
import re, sys
v = sys.argv[1]
m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", v)
if not m: print(v); sys.exit()
x = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
print(f"{x:.2f}" if x < 100 else f"{x:.0f}")' "$1"
}

rows=()
run() { # name conns script path
  local name=$1 c=$2 script=$3 path=$4 out rps p50 p99 bad
  reset_peak
  # A request id prefix of its own per scenario: every write is a new command.
  out=$(ZHISHEN_RUN="$$-$c" wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency -s "bench/wrk/$script" "$base$path")
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  bad=$(awk '/Non-2xx or 3xx responses:/ { n = $NF } /Socket errors:/ { e = $0 } END { printf "%d%s", n, (e ? " (" e ")" : "") }' <<<"$out")
  if [ "$script" = create.lua ]; then
    written=$((written + $(awk '/ requests in / { print $1 }' <<<"$out") - ${bad%% *}))
  fi
  rows+=("| $name | $c | $rps | $p50 | $p99 | $bad | $(peak_mib) |")
  echo "  $name, $c connections: $rps req/s, p50 $p50 ms, p99 $p99 ms, non-2xx $bad" >&2
}

cores=$(nproc)
echo "== HTTP service: zhishen serve --demo, SQLite (WAL, synchronous=FULL), loopback" >&2
echo "   wrk -t$THREADS -d$DURATION, bearer token of demo-applicant, $cores cores shared by server and wrk," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for c in $CONNS; do
  run "GET /api/cases/{id}" "$c" get.lua "/api/cases/$case_id"
  run "GET /cases/{id} (page)" "$c" get.lua "/cases/$case_id"
  run "GET /api/catalogue" "$c" get.lua "/api/catalogue"
done
for c in $CONNS; do
  run "POST /api/cases (CreateCase)" "$c" create.lua "/api/cases"
done
created=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM \"case\"").fetchone()[0])' "$tmp/bench.db")

echo
echo "| scenario | connections | requests/s | p50 ms | p99 ms | non-2xx | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "cases opened by the write runs: $((created - demo_cases)) (write requests answered 2xx: $written)"
echo "goals: read p99 < 20 ms at 200 connections; >= 2,500 commands/s"
