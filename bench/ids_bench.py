#!/usr/bin/env python3
"""IDS checking benchmark: `zhishen ids` against IfcOpenShell's ifctester.

Usage:
    python3 bench/ids_bench.py --zhishen PATH_TO_ZHISHEN [--ids SPEC.ids] [--runs N] MODELS...

For each model the two tools run interleaved (zhishen, ifctester, zhishen, …), each
as a whole process: wall time from spawn to exit, and the child's own peak RSS from
wait4(2). Reported per model: median seconds and peak RSS of each, the median ratio
(ifctester / zhishen), and whether both gave the same verdict for every
specification. The goal is a ratio of at least 20. The machine's load average is
printed with the results: the figures are only comparable on a quiet machine.
ifctester is installed into bench/.venv from bench/requirements.txt (pinned).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_PY = BENCH_DIR / ".venv" / "bin" / "python"
GOAL = 20.0


def pinned(name: str) -> str:
    for line in (BENCH_DIR / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(name + "=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"bench/requirements.txt does not pin {name}==...")


def ensure_venv() -> str:
    want = pinned("ifctester")
    probe = [str(VENV_PY), "-c", "import importlib.metadata as m; print(m.version('ifctester'))"]
    have = subprocess.run(probe, capture_output=True, text=True).stdout.strip() if VENV_PY.exists() else ""
    if have != want:
        if not VENV_PY.exists():
            subprocess.run([sys.executable, "-m", "venv", str(BENCH_DIR / ".venv")], check=True)
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "-r", str(BENCH_DIR / "requirements.txt")], check=True)
    return str(VENV_PY)


def timed(cmd: list[str]) -> tuple[float, float, int, bytes]:
    """Runs cmd; returns (seconds, peak RSS MiB, exit code, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return secs, ru.ru_maxrss / 1024.0, p.returncode, out


def verdicts_zhishen(out: bytes) -> list[str]:
    return [s["status"] for s in json.loads(out)["specifications"]]


def verdicts_ios(out: bytes) -> list[str]:
    return [s["status"] for s in json.loads(out)["specs"]]


def bench_model(model: str, args, py: str) -> dict:
    z_cmd = [args.zhishen, "ids", model, args.ids, "--format", "json"]
    i_cmd = [py, str(BENCH_DIR / "ids_ios_run.py"), model, args.ids]
    zs, ios = [], []
    z_out = i_out = b""
    for _ in range(args.runs):
        s, rss, code, z_out = timed(z_cmd)
        if code not in (0, 1):
            raise SystemExit(f"zhishen ids exited {code} on {model}")
        zs.append((s, rss))
        s, rss, code, i_out = timed(i_cmd)
        if code != 0:
            raise SystemExit(f"ifctester runner exited {code} on {model}")
        ios.append((s, rss))
    zm = statistics.median(x[0] for x in zs)
    im = statistics.median(x[0] for x in ios)
    return {
        "model": Path(model).name,
        "mb": round(os.path.getsize(model) / 1e6, 2),
        "zhishen_s": zm,
        "ifctester_s": im,
        "ratio": im / zm if zm > 0 else float("inf"),
        "zhishen_rss_mib": max(x[1] for x in zs),
        "ifctester_rss_mib": max(x[1] for x in ios),
        "same_verdicts": verdicts_zhishen(z_out) == verdicts_ios(i_out),
        "zhishen_verdicts": verdicts_zhishen(z_out),
        "ifctester_verdicts": verdicts_ios(i_out),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zhishen", required=True)
    ap.add_argument("--ids", default=str(ROOT / "assets" / "ids" / "planning-permit.ids"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json-out")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    py = ensure_venv()
    rows = [bench_model(m, args, py) for m in args.models]
    load = os.getloadavg()
    print(f"IDS bench: {Path(args.ids).name}, {args.runs} interleaved runs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")
    print(f"{'model':<52} {'MB':>6} {'zhishen s':>10} {'ifctester s':>12} {'ratio':>7} "
          f"{'zh RSS MiB':>11} {'it RSS MiB':>11} same")
    for r in rows:
        print(f"{r['model']:<52} {r['mb']:>6} {r['zhishen_s']:>10.3f} {r['ifctester_s']:>12.3f} "
              f"{r['ratio']:>7.1f} {r['zhishen_rss_mib']:>11.1f} {r['ifctester_rss_mib']:>11.1f} "
              f"{'yes' if r['same_verdicts'] else 'NO'}")
    ratios = [r["ratio"] for r in rows]
    med = statistics.median(ratios)
    print(f"median ratio {med:.1f}x (goal >= {GOAL:g}x): {'met' if med >= GOAL else 'NOT met'}; "
          f"verdicts agree on {sum(r['same_verdicts'] for r in rows)}/{len(rows)} models")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"load": load, "rows": rows}, ensure_ascii=False, indent=1))
    return 0 if all(r["same_verdicts"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
