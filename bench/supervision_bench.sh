#!/usr/bin/env bash
# Supervision report benchmark (make bench): the whole `zhishen report supervision`
# process, HTML and JSON, over a store of 10,000 engine-generated cases (seeded,
# driven through decide/apply, imported once by the hidden `bench-fill-cases`).
# Prints wall seconds and the process's peak RSS (getrusage of the child).
#   bash bench/supervision_bench.sh [BIN]        CASES=10000 RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/zhishen}
CASES=${CASES:-10000}
RUNS=${RUNS:-3}
DIR=${SUP_BENCH_DIR:-/tmp/zhishen-supervision-bench}
DB="$DIR/cases-$CASES.db"
mkdir -p "$DIR"
if [ ! -f "$DB" ]; then
  t0=$(date +%s)
  "$BIN" bench-fill-cases --cases "$CASES" --db "sqlite://$DB"
  echo "fill: $(( $(date +%s) - t0 )) s (once; kept in $DB)"
fi
echo "== supervision report, $CASES cases, period 2026-01-01..2026-06-30 (previous: the 181 days before)"
python3 - "$BIN" "$DB" "$RUNS" "$DIR" <<'PY'
import resource, subprocess, sys, time
bin_, db, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for fmt in ("html", "json"):
    for region in (None, "440303"):
        best, rss = None, 0
        for _ in range(runs):
            args = [bin_, "report", "supervision", "--db", f"sqlite://{db}", "--from", "2026-01-01",
                    "--to", "2026-06-30", "--format", fmt, "--out", f"{out}/report.{fmt}"]
            if region:
                args += ["--region", region]
            t = time.perf_counter()
            p = subprocess.Popen(args)
            _, status, ru = __import__("os").wait4(p.pid, 0)
            dt = time.perf_counter() - t
            if status != 0:
                sys.exit(f"{' '.join(args)} failed: {status}")
            best = dt if best is None else min(best, dt)
            rss = max(rss, ru.ru_maxrss)
        label = f"{fmt:4} region={region or 'all':6}"
        print(f"{label} best of {runs}: {best:.2f} s, peak RSS {rss / 1024:.0f} MiB")
PY
