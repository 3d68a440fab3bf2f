#!/usr/bin/env python3
"""Reviews every placement of datasets/district/buildings.toml with `zhishen check`, writes the
HTML reports to out/demo/ and prints one verdict line per building (make demo)."""
import os
import subprocess
import sys
import tomllib

binary = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
district = os.path.join(root, "datasets", "district")
out = os.path.join(root, "out", "demo")
os.makedirs(out, exist_ok=True)
with open(os.path.join(district, "buildings.toml"), "rb") as f:
    buildings = tomllib.load(f)["building"]
for b in buildings:
    html = os.path.join(out, f"{b['id']}.html")
    cmd = [binary, "check", "--model", os.path.join(district, b["model"]), "--site", district,
           "--parcel", b["parcel"], "--place", b["place"], "--use", b["use"],
           "--format", "html", "--out", html]
    r = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in r.stderr.splitlines() if not l.startswith("[ifc-lite]")]
    verdict = {0: "通过 pass", 1: "不通过/无法核验 fail", 2: "输入错误 bad input"}.get(r.returncode, str(r.returncode))
    expect = ", ".join(b["expect_fail"]) or "—"
    print(f"{b['id']} {b['parcel']:8} {verdict:22} expected failures: {expect}")
    for l in lines[1:]:
        print("    " + l.strip())
    print(f"    report: {html}")
