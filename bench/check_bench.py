#!/usr/bin/env python3
"""End-to-end review benchmark: `zhishen check` as a user runs it, whole process.

    python3 bench/check_bench.py --zhishen BIN[,BIN2...] [--runs N] MODEL...

Issue 14's goal is the review of a 30 MB model in under 1.5 s on a 2-core machine. Each
model is reviewed on the demo district (parcel DK-06, placed at 528580,3386631.98, use
商业: a placement that fails several checks, so every check measures its geometry), with
the JSON report written to a temporary file. Runs are interleaved (run 1 of every model
and binary, then run 2, ...) so that a noisy neighbour hits all alike. Several binaries
(comma-separated) are compared side by side, the first as the base.

Prints a markdown table: median wall seconds (min-max) and peak RSS (MiB, from wait4) of
each model and binary, and each later binary's ratio to the first. Exit status 1 when a
run fails (exit codes 0 and 1 are the review's verdicts; 2 and above are errors).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(ROOT, "datasets", "district")
ARGS = ["--site", SITE, "--parcel", "DK-06", "--place", "528580,3386631.98,0", "--use", "商业"]


def run(binary, model, out):
    """One whole-process review: (seconds, peak RSS MiB, exit code, stderr)."""
    t = time.perf_counter()
    p = subprocess.Popen(
        [binary, "check", "--model", model, *ARGS, "--out", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN is the maximum of all).
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024.0, p.returncode, err.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zhishen", required=True, help="zhishen binary, or several comma-separated")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    bins = a.zhishen.split(",")
    models = [m for m in a.models if os.path.exists(m)]
    for m in a.models:
        if m not in models:
            print(f"skipped (missing): {m}", file=sys.stderr)
    if not models:
        print("no models to review", file=sys.stderr)
        return 1
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        for _ in range(a.runs):
            for m in models:
                for b in bins:
                    s, rss, code, err = run(b, m, out)
                    if code not in (0, 1):
                        print(f"{b} check {m}: exit {code}\n{err}", file=sys.stderr)
                        return 1
                    res.setdefault((m, b), []).append((s, rss))
    head = "| model | MB | " + " | ".join(f"`{os.path.basename(os.path.dirname(b)) or b}` s (min-max) | peak MiB" for b in bins)
    if len(bins) > 1:
        head += " | " + " | ".join(f"ratio {i + 1}/1" for i in range(1, len(bins)))
    print(head + " |")
    print("|" + "---|" * (2 + 2 * len(bins) + max(0, len(bins) - 1)))
    for m in models:
        mb = os.path.getsize(m) / 1e6
        cells = []
        medians = []
        for b in bins:
            v = res[(m, b)]
            secs = [x[0] for x in v]
            med = statistics.median(secs)
            medians.append(med)
            cells.append(f"{med:.3f} ({min(secs):.3f}-{max(secs):.3f})")
            cells.append(f"{max(x[1] for x in v):.0f}")
        cells += [f"{medians[0] / med:.2f}" for med in medians[1:]]
        print(f"| {os.path.basename(m)} | {mb:.1f} | " + " | ".join(cells) + " |")
    print(f"\n{a.runs} interleaved runs each; `zhishen check --model M {' '.join(ARGS[2:])}` on datasets/district.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
