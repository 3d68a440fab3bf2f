#!/usr/bin/env python3
"""IFC load benchmark: zhishen vs web-ifc vs IfcOpenShell.

Usage:
    python3 bench/ifc_bench.py --zhishen PATH_TO_ZHISHEN [--runs N] [--json-out PATH] FILES...

Every measurement is a fresh subprocess that prints one JSON line with at least
{"seconds", "meshes", "triangles"}. The three tools run interleaved
(zhishen, web-ifc, IfcOpenShell, zhishen, web-ifc, IfcOpenShell, ...) on one
file at a time so that background load hits all of them alike. For every run
the driver records the tool's own in-process seconds, the wall time of the
whole process, and the child's peak RSS (os.wait4 -> ru_maxrss).

zhishen's line also carries "stages" (LoadTimings: scan, decode, relationships,
the mesh/psets join, elements, facts, total), "report_s" and its own VmHWM; the
report adds a stage table with each stage's share of the total.
--ios-max-mb skips IfcOpenShell on large files (minutes on a 30 MB model).

The markdown report goes to stdout; progress and setup output go to stderr.
Exit status: 0 when every run succeeded (whether or not the speed goals are
met: this is a report), 1 when a tool crashed, timed out or printed no JSON,
2 on a usage or setup error.

See bench/README.md for the method.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENV_DIR = BENCH_DIR / ".venv"
VENV_PY = VENV_DIR / "bin" / "python"
WEBIFC_SCRIPT = BENCH_DIR / "webifc_run.mjs"
IOS_SCRIPT = BENCH_DIR / "ios_run.py"

# Goal: zhishen in-process seconds at least this many times faster.
GOAL_WEBIFC = 3.0
GOAL_IOS = 20.0

TOOLS = ("zhishen", "web-ifc", "ifcopenshell")
# zhishen bench-load's serial stages, in load order; they add up to its total_s.
STAGE_KEYS = ("scan_s", "decode_s", "relationships_s", "join_s", "elements_s", "facts_s")
STAGE_LABEL = {"scan_s": "scan", "decode_s": "decode (index)", "relationships_s": "relationships",
               "join_s": "mesh ∥ psets", "elements_s": "elements", "facts_s": "facts"}
LABEL = {"zhishen": "zhishen", "web-ifc": "web-ifc", "ifcopenshell": "IfcOpenShell"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Setup (idempotent)
# --------------------------------------------------------------------------


def pinned_webifc() -> str:
    pkg = json.loads((BENCH_DIR / "package.json").read_text())
    return pkg["dependencies"]["web-ifc"]


def pinned_ifcopenshell() -> str:
    for line in (BENCH_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.lower().startswith("ifcopenshell=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit("bench/requirements.txt does not pin ifcopenshell==...")


def run_setup(cmd: list[str], cwd: Path) -> None:
    log(f"[setup] $ {' '.join(cmd)}  (in {cwd})")
    # Setup chatter goes to stderr so stdout stays a clean report.
    res = subprocess.run(cmd, cwd=cwd, stdout=sys.stderr, stderr=sys.stderr)
    if res.returncode != 0:
        raise SystemExit(f"setup command failed ({res.returncode}): {' '.join(cmd)}")


def ensure_node() -> str:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        raise SystemExit("node and npm are required (Node 20) for the web-ifc peer")
    want = pinned_webifc()
    installed = BENCH_DIR / "node_modules" / "web-ifc" / "package.json"
    have = None
    if installed.exists():
        have = json.loads(installed.read_text()).get("version")
    if have == want:
        log(f"[setup] web-ifc {have} already installed")
        return node
    if (BENCH_DIR / "package-lock.json").exists():
        run_setup([npm, "ci", "--no-audit", "--no-fund"], BENCH_DIR)
    else:
        run_setup([npm, "install", "--no-audit", "--no-fund"], BENCH_DIR)
    have = json.loads(installed.read_text()).get("version")
    if have != want:
        raise SystemExit(f"web-ifc {have} installed, {want} pinned")
    return node


def venv_ifcopenshell_version() -> str | None:
    if not VENV_PY.exists():
        return None
    res = subprocess.run(
        [str(VENV_PY), "-c", "import ifcopenshell; print(ifcopenshell.version)"],
        capture_output=True,
        text=True,
    )
    return res.stdout.strip() if res.returncode == 0 else None


def ensure_venv() -> str:
    want = pinned_ifcopenshell()
    have = venv_ifcopenshell_version()
    if have == want:
        log(f"[setup] ifcopenshell {have} already installed in {VENV_DIR}")
        return str(VENV_PY)
    if not VENV_PY.exists():
        run_setup([sys.executable, "-m", "venv", str(VENV_DIR)], BENCH_DIR)
    run_setup(
        [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", "-r",
         str(BENCH_DIR / "requirements.txt")],
        BENCH_DIR,
    )
    have = venv_ifcopenshell_version()
    if have != want:
        raise SystemExit(f"ifcopenshell {have} installed in venv, {want} pinned")
    return str(VENV_PY)


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------


class RunError(Exception):
    pass


def measure(cmd: list[str], timeout: float, need_seconds: bool = True) -> dict:
    """Run cmd once; return its JSON line plus wall seconds and peak RSS (MiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            try:
                proc.kill()
            except OSError:
                pass

        timer = threading.Timer(timeout, _kill)
        timer.start()
        try:
            # wait4 gives this child's own rusage (ru_maxrss in KiB on Linux).
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")

    def fail(why: str) -> RunError:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        return RunError(f"{why}\n  cmd: {' '.join(cmd)}\n  stdout: {stdout.strip()[-500:]}\n"
                        f"  stderr (tail):\n{tail}")

    if timed_out.is_set():
        raise fail(f"timed out after {timeout:.0f} s")
    if proc.returncode != 0:
        raise fail(f"exit status {proc.returncode}")
    data = None
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                data = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    if not isinstance(data, dict):
        raise fail("no JSON line on stdout")
    if need_seconds:
        for key in ("seconds", "meshes", "triangles"):
            if not isinstance(data.get(key), (int, float)):
                raise fail(f"JSON line lacks numeric {key!r}")
    data["wall_seconds"] = wall
    if "peak_rss_mib" in data:
        # zhishen's own VmHWM reading; the driver's wait4 figure below is the one compared.
        data["peak_rss_mib_self"] = data["peak_rss_mib"]
    data["peak_rss_mib"] = rusage.ru_maxrss / 1024.0
    data["user_cpu_seconds"] = rusage.ru_utime
    data["sys_cpu_seconds"] = rusage.ru_stime
    return data


def med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(runs: list[dict]) -> dict | None:
    if not runs:
        return None
    s = {
        "n": len(runs),
        "seconds": med([r["seconds"] for r in runs]),
        "seconds_min": min(r["seconds"] for r in runs),
        "seconds_max": max(r["seconds"] for r in runs),
        "wall_seconds": med([r["wall_seconds"] for r in runs]),
        "peak_rss_mib": med([r["peak_rss_mib"] for r in runs]),
        "meshes": runs[-1]["meshes"],
        "triangles": runs[-1]["triangles"],
        "elements": runs[-1].get("elements"),
    }
    stages = [r["stages"] for r in runs if isinstance(r.get("stages"), dict)]
    if stages:
        s["stages"] = {k: med([st[k] for st in stages if isinstance(st.get(k), (int, float))])
                       for k in STAGE_KEYS + ("mesh_s", "psets_s", "total_s")}
        s["report_s"] = med([r["report_s"] for r in runs if isinstance(r.get("report_s"), (int, float))])
        s["vmhwm_mib"] = med([r["peak_rss_mib_self"] for r in runs
                              if isinstance(r.get("peak_rss_mib_self"), (int, float))])
    for key in ("meshes", "triangles"):
        vals = {r[key] for r in runs}
        if len(vals) > 1:
            s[key + "_varied"] = sorted(vals)
    return s


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def fmt_s(v: float | None) -> str:
    if v is None:
        return "CRASH"
    return f"{v:.3f}" if v >= 1 else f"{v:.3g}"


def fmt_ratio(v: float | None) -> str:
    if v is None:
        return "n/a"
    if math.isinf(v):
        return "inf"
    return f"{v:.1f}x" if v >= 10 else f"{v:.2f}x"


def fmt_mib(v: float | None) -> str:
    return "CRASH" if v is None else f"{v:.0f}"


def fmt_int(v) -> str:
    return "-" if v is None else str(int(v))


def ratio(peer: dict | None, zs: dict | None, zs_key: str = "seconds") -> float | None:
    """Peer in-process seconds / zhishen's `zs_key` (`seconds` in-process, or
    `wall_seconds`: the issue's strict reading, zhishen's whole process)."""
    if not peer or not zs:
        return None
    if zs[zs_key] <= 0:
        return math.inf
    return peer["seconds"] / zs[zs_key]


def yes_no(r: float | None, goal: float) -> str:
    if r is None:
        return "n/a"
    return "yes" if r >= goal else "no"


def geomean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and v > 0 and not math.isinf(v)]
    if not vals:
        return None
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


def render_stages(report: dict) -> list[str]:
    """zhishen's load by stage (bench-load "stages"), medians, each with its share."""
    rows = [(f["name"], f["summary"].get("zhishen")) for f in report["files"]]
    rows = [(n, z) for n, z in rows if z and z.get("stages")]
    if not rows:
        return []
    lines = ["### zhishen load stages (medians of the measured runs)", ""]
    head = " | ".join(STAGE_LABEL[k] for k in STAGE_KEYS)
    lines.append(f"| file | {head} | total s | report s | peak RSS MiB (VmHWM) |")
    lines.append("|---|" + "---:|" * (len(STAGE_KEYS) + 3))
    for name, z in rows:
        st = z["stages"]
        total = st.get("total_s") or 0.0
        cells = []
        for k in STAGE_KEYS:
            v = st.get(k)
            share = f" ({100 * v / total:.0f}%)" if v is not None and total > 0 else ""
            cell = f"{fmt_s(v)}{share}"
            if k == "join_s":
                cell += f" [mesh {fmt_s(st.get('mesh_s'))}, psets {fmt_s(st.get('psets_s'))}]"
            cells.append(cell)
        lines.append(f"| {name} | {' | '.join(cells)} | {fmt_s(total)} | "
                     f"{fmt_s(z.get('report_s'))} | {fmt_mib(z.get('vmhwm_mib'))} |")
    lines.append("")
    lines.append(
        "Stages run one after another and add up to the total, except that meshing and element "
        "property reading run at the same time (`rayon::join`, both across the same cores): the "
        "`mesh ∥ psets` column is the join's wall time, and mesh and psets in brackets are each "
        "side's own start-to-finish time, which overlap. `decode` is the entity index only; "
        "entities are decoded lazily inside the other stages. `report` (the inspect JSON) is "
        "timed after the load and is not in the total."
    )
    lines.append("")
    return lines


def render(report: dict) -> str:
    lines: list[str] = []
    cfg = report["config"]
    lines.append("## IFC load benchmark: zhishen vs web-ifc vs IfcOpenShell")
    lines.append("")
    lines.append(
        f"{cfg['runs']} interleaved runs per file (after {cfg['warmup']} discarded warm-up round(s)); "
        f"medians. Seconds = each tool's own in-process time for open + all geometry. "
        f"Ratio = peer seconds / zhishen seconds (speedup factor of zhishen). "
        f"Goal: >= {GOAL_WEBIFC:g}x vs web-ifc {report['versions']['web-ifc']} "
        f"({'cold one-shot process' if not cfg['webifc_warm'] else str(cfg['webifc_warm']) + ' untimed warm-up load(s) in-process'}), "
        f">= {GOAL_IOS:g}x vs IfcOpenShell {report['versions']['ifcopenshell']} "
        f"({cfg['ios_threads']} thread(s))."
    )
    lines.append("")
    lines.append(
        "| file | MB | zhishen s | web-ifc s | IfcOpenShell s | web-ifc/zhishen | IfcOpenShell/zhishen "
        f"| >= {GOAL_WEBIFC:g}x web-ifc | >= {GOAL_IOS:g}x IfcOpenShell "
        "| zhishen whole process s | web-ifc / zhishen whole |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|:---:|:---:|---:|---:|")
    rw_all, ri_all, rh_all = [], [], []
    for f in report["files"]:
        s = f["summary"]
        zs, wi, io = s.get("zhishen"), s.get("web-ifc"), s.get("ifcopenshell")
        rw, ri, rh = ratio(wi, zs), ratio(io, zs), ratio(wi, zs, "wall_seconds")
        rw_all.append(rw)
        ri_all.append(ri)
        rh_all.append(rh)
        io_s = "skipped" if "ifcopenshell" in f.get("skipped", []) else fmt_s(io and io["seconds"])
        lines.append(
            f"| {f['name']} | {f['mb']:.2f} | {fmt_s(zs and zs['seconds'])} | "
            f"{fmt_s(wi and wi['seconds'])} | {io_s} | "
            f"{fmt_ratio(rw)} | {fmt_ratio(ri)} | {yes_no(rw, GOAL_WEBIFC)} | {yes_no(ri, GOAL_IOS)} | "
            f"{fmt_s(zs and zs['wall_seconds'])} | {fmt_ratio(rh)} |"
        )
    if len(report["files"]) > 1:
        gw, gi, gh = geomean(rw_all), geomean(ri_all), geomean(rh_all)
        lines.append(
            f"| **geomean** | | | | | {fmt_ratio(gw)} | {fmt_ratio(gi)} | "
            f"{yes_no(gw, GOAL_WEBIFC)} | {yes_no(gi, GOAL_IOS)} | | {fmt_ratio(gh)} |"
        )
    lines.append("")
    lines.append(
        "The last column is the strict reading of the goal: web-ifc's in-process seconds (its "
        "node start-up left out) against zhishen's whole process as a user runs it, spawn to "
        "exit, with the dynamic loading of GDAL and the other shared libraries, the file read "
        "and the report."
    )
    lines.append("")

    lines.append("### Wall time, peak RSS and geometry produced (medians)")
    lines.append("")
    lines.append(
        "| file | wall s zhishen / web-ifc / IOS | peak RSS MiB zhishen / web-ifc / IOS "
        "| meshes zhishen / web-ifc / IOS | elements web-ifc / IOS | triangles zhishen / web-ifc / IOS |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|")
    for f in report["files"]:
        s = f["summary"]
        zs, wi, io = s.get("zhishen"), s.get("web-ifc"), s.get("ifcopenshell")

        ios_skipped = "ifcopenshell" in f.get("skipped", [])

        def g(d, k, fmt, skipped=False):
            if d:
                return fmt(d[k])
            return "skipped" if skipped else "CRASH"

        lines.append(
            f"| {f['name']} | "
            f"{g(zs, 'wall_seconds', fmt_s)} / {g(wi, 'wall_seconds', fmt_s)} / {g(io, 'wall_seconds', fmt_s, ios_skipped)} | "
            f"{g(zs, 'peak_rss_mib', fmt_mib)} / {g(wi, 'peak_rss_mib', fmt_mib)} / {g(io, 'peak_rss_mib', fmt_mib, ios_skipped)} | "
            f"{g(zs, 'meshes', fmt_int)} / {g(wi, 'meshes', fmt_int)} / {g(io, 'meshes', fmt_int, ios_skipped)} | "
            f"{g(wi, 'elements', fmt_int)} / {g(io, 'elements', fmt_int, ios_skipped)} | "
            f"{g(zs, 'triangles', fmt_int)} / {g(wi, 'triangles', fmt_int)} / {g(io, 'triangles', fmt_int, ios_skipped)} |"
        )
    lines.append("")
    lines.extend(render_stages(report))
    b = report["baseline"]
    lines.append(
        "Runtime baseline peak RSS (no model loaded, median of "
        f"{cfg['baseline_runs']}): node + web-ifc Init() "
        f"{fmt_mib(b.get('web-ifc'))} MiB, python + import ifcopenshell "
        f"{fmt_mib(b.get('ifcopenshell'))} MiB. Subtract these to compare model memory; "
        "zhishen is a native binary with no runtime to subtract."
    )
    lines.append("")
    lines.append(
        "web-ifc meshes = placed geometries (one per representation item), IfcOpenShell meshes = "
        "shapes (one per product); compare the elements and triangles columns for the element sets."
    )
    env = report["environment"]
    load_note = (
        f"Load average at start {env['loadavg_start'][0]:.2f}, at end {env['loadavg_end'][0]:.2f} "
        f"on {env['cpus']} CPUs."
    )
    if max(env["loadavg_start"][0], env["loadavg_end"][0]) > 0.5:
        load_note += " **The machine was not idle: absolute times are noisy; ratios are interleaved.**"
    lines.append("")
    lines.append(load_note)
    if report["failures"]:
        lines.append("")
        lines.append("**Failures:**")
        for fl in report["failures"]:
            lines.append(f"- {fl['tool']} on {fl['file']}: {fl['error'].splitlines()[0]}")
    varied = [
        (f["name"], t, k)
        for f in report["files"]
        for t, s in f["summary"].items()
        if s
        for k in ("meshes_varied", "triangles_varied")
        if k in s
    ]
    for name, t, k in varied:
        lines.append(f"- note: {t} reported differing {k.split('_')[0]} across runs on {name}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zhishen", required=True, help="path to the zhishen binary (runs `BIN bench-load FILE`)")
    ap.add_argument("--runs", type=int, default=5, help="measured runs per tool and file (default 5)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="discarded warm-up rounds per file before measuring (default 1)")
    ap.add_argument("--baseline-runs", type=int, default=3, help="runs of each runtime baseline (default 3)")
    ap.add_argument("--ios-threads", type=int, default=1,
                    help="IfcOpenShell iterator threads (default 1, faster on the 2-core bench machine)")
    ap.add_argument("--ios-include-site", action="store_true",
                    help="let IfcOpenShell mesh IfcSite too (web-ifc 0.0.78 StreamAllMeshes does)")
    ap.add_argument("--webifc-warm", type=int, default=0,
                    help="untimed in-process web-ifc loads of the file before the timed one "
                         "(default 0 = cold one-shot process; >0 = warm V8 WASM, like a service)")
    ap.add_argument("--ios-max-mb", type=float, default=math.inf,
                    help="skip IfcOpenShell on files larger than this (MB); it takes minutes on "
                         "a 30 MB model (default: never skip)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed (default 600)")
    ap.add_argument("--json-out", help="also write all raw runs and medians as JSON here")
    ap.add_argument("files", nargs="+", help="IFC files")
    args = ap.parse_args()

    if args.runs < 1:
        ap.error("--runs must be >= 1")
    if args.warmup < 0 or args.baseline_runs < 1 or args.webifc_warm < 0 or args.ios_threads < 1:
        ap.error("--warmup/--webifc-warm must be >= 0, --baseline-runs/--ios-threads >= 1")
    zhishen = Path(args.zhishen)
    if not zhishen.is_file() or not os.access(zhishen, os.X_OK):
        ap.error(f"--zhishen {args.zhishen}: not an executable file")
    zhishen = str(zhishen.resolve())
    files = [Path(f).resolve() for f in args.files]
    for f in files:
        if not f.is_file():
            ap.error(f"{f}: no such file")

    node = ensure_node()
    venv_py = ensure_venv()

    ios_extra = ["--threads", str(args.ios_threads)]
    if args.ios_include_site:
        ios_extra.append("--include-site")

    webifc_extra = ["--warm", str(args.webifc_warm)] if args.webifc_warm else []

    def cmd_for(tool: str, path: Path) -> list[str]:
        if tool == "zhishen":
            return [zhishen, "bench-load", str(path)]
        if tool == "web-ifc":
            return [node, str(WEBIFC_SCRIPT), *webifc_extra, str(path)]
        return [venv_py, str(IOS_SCRIPT), *ios_extra, str(path)]

    failures: list[dict] = []
    loadavg_start = os.getloadavg()

    # Runtime baselines: what the peers' runtimes cost before any model.
    log("[bench] runtime baselines")
    base_cmds = {
        "web-ifc": [node, str(WEBIFC_SCRIPT), "--baseline"],
        "ifcopenshell": [venv_py, str(IOS_SCRIPT), "--baseline"],
    }
    base_runs: dict[str, list[dict]] = {t: [] for t in base_cmds}
    versions = {"zhishen": zhishen}
    for _ in range(args.baseline_runs):
        for tool, cmd in base_cmds.items():
            try:
                r = measure(cmd, args.timeout, need_seconds=False)
            except RunError as e:
                failures.append({"tool": tool, "file": "(baseline)", "error": str(e)})
                log(f"[bench] FAIL {tool} baseline: {e}")
                continue
            base_runs[tool].append(r)
            versions[tool] = r.get("version", "?")
    baseline = {t: med([r["peak_rss_mib"] for r in rs]) for t, rs in base_runs.items()}
    versions.setdefault("web-ifc", pinned_webifc())
    versions.setdefault("ifcopenshell", pinned_ifcopenshell())

    file_reports = []
    for path in files:
        name = path.name
        mb = path.stat().st_size / 1e6
        runs: dict[str, list[dict]] = {t: [] for t in TOOLS}
        crashed: set[str] = set()
        skipped = ["ifcopenshell"] if mb > args.ios_max_mb else []
        total = args.warmup + args.runs
        for i in range(total):
            warm = i < args.warmup
            for tool in TOOLS:
                if tool in crashed or tool in skipped:
                    continue
                try:
                    r = measure(cmd_for(tool, path), args.timeout)
                except RunError as e:
                    crashed.add(tool)
                    failures.append({"tool": tool, "file": name, "error": str(e)})
                    log(f"[bench] FAIL {tool} on {name}: {e}")
                    continue
                tag = "warm-up" if warm else f"run {i - args.warmup + 1}/{args.runs}"
                log(f"[bench] {name} {tag} {tool}: {r['seconds']:.4f} s in-process, "
                    f"{r['wall_seconds']:.3f} s wall, {r['peak_rss_mib']:.0f} MiB")
                if not warm:
                    runs[tool].append(r)
        summary = {t: (summarize(rs) if t not in crashed else None) for t, rs in runs.items()}
        file_reports.append({"name": name, "path": str(path), "bytes": path.stat().st_size, "mb": mb,
                             "summary": summary, "runs": runs, "skipped": skipped})

    report = {
        "config": {"runs": args.runs, "warmup": args.warmup, "baseline_runs": args.baseline_runs,
                   "ios_threads": args.ios_threads, "ios_include_site": args.ios_include_site,
                   "webifc_warm": args.webifc_warm,
                   "timeout": args.timeout},
        "versions": versions,
        "environment": {
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip(),
            "loadavg_start": loadavg_start,
            "loadavg_end": os.getloadavg(),
        },
        "baseline": baseline,
        "baseline_runs": base_runs,
        "files": file_reports,
        "failures": failures,
    }
    text = render(report)
    sys.stdout.write(text)
    sys.stdout.flush()
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        log(f"[bench] wrote {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
