#!/usr/bin/env python3
"""Runs `zhishen ids` over buildingSMART's IDS conformance cases.

Usage: python3 crates/ids/conformance.py --zhishen PATH_TO_ZHISHEN DIR

DIR is a checkout's Documentation/testcases (one folder per facet: attribute, entity,
classification, material, partof, property, restriction, ids…) holding pairs
NAME.ids / NAME.ifc, NAME starting with pass-, fail- or invalid-. Expected exits:
pass- → 0, fail- → 1, invalid- → 1 or 2 (an invalid IDS is refused with 2; some
cases are invalid only by rules beyond ids.xsd and then fail the model). Prints the
count passing per facet and the failing cases; exits 1 if any case fails. The cases
are not committed (CC BY-ND; fetch them from github.com/buildingSMART/IDS).
"""

import argparse
import collections
import subprocess
import sys
from pathlib import Path

EXPECTED = {"pass": {0}, "fail": {1}, "invalid": {1, 2}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zhishen", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    tally = collections.defaultdict(lambda: [0, 0])
    failing = []
    for ids in sorted(Path(args.dir).rglob("*.ids")):
        kind = ids.name.split("-", 1)[0]
        if kind not in EXPECTED:
            continue
        ifc = ids.with_suffix(".ifc")
        if not ifc.exists():
            continue
        facet = ids.parent.name
        r = subprocess.run([args.zhishen, "ids", str(ifc), str(ids)], capture_output=True, text=True)
        ok = r.returncode in EXPECTED[kind]
        tally[facet][0 if ok else 1] += 1
        if not ok:
            first = (r.stderr.strip().splitlines() or [""])[0][:160]
            failing.append(f"{facet}/{ids.stem}: exit {r.returncode} ({first})")
    total_ok = sum(v[0] for v in tally.values())
    total = sum(v[0] + v[1] for v in tally.values())
    for facet, (ok, bad) in sorted(tally.items()):
        print(f"{facet:<16} {ok:>4} / {ok + bad}")
    print(f"{'total':<16} {total_ok:>4} / {total}")
    for f in failing:
        print("FAIL", f)
    return 0 if not failing else 1


if __name__ == "__main__":
    sys.exit(main())
