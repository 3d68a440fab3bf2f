#!/usr/bin/env python3
"""Site-model benchmark: zhishen's SiteModel vs PostGIS 3 on the same data and queries.

    python3 bench/site_bench.py [--parcels N] [--queries Q] [--dir D] [--json-out PATH]

1. Builds and runs `cargo run --release -p zhishen-site --example bench_site`, which generates
   (once, cached) parcel.gpkg + road_red_line.gpkg in EPSG:4547, times zhishen_site::load,
   runs Q neighbourhood and Q nearest-road queries and writes the footprints to D/queries.csv.
2. Starts a throwaway PostgreSQL cluster (temp dir, 127.0.0.1, free port, run as `postgres`),
   CREATE EXTENSION postgis, loads both GeoPackages with ogr2ogr, builds GiST indexes, loads
   queries.csv and runs the same two query sets, each as one LATERAL-join statement.
3. Prints a markdown table (figures, checksums, zhishen/PostGIS ratios); stops and removes
   the cluster.

Missing Debian packages (postgresql, postgresql-15-postgis-3, gdal-bin) are installed with
apt-get (needs root). Exit status 0 when both sides ran and the checksums agree, 1 on a
checksum mismatch or a failed run, 2 on setup errors.
"""

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOME = os.path.expanduser("~")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(HOME, ".cache/zhishen/target"))
APT_PACKAGES = ["postgresql", "postgresql-15-postgis-3", "gdal-bin"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def die(msg, code=2):
    log(f"error: {msg}")
    sys.exit(code)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


# ---------------------------------------------------------------- setup


def pg_bindir():
    """Newest PostgreSQL bin dir whose share dir has the postgis extension."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        ver = bindir.split("/")[-2]
        if os.path.exists(f"/usr/share/postgresql/{ver}/extension/postgis.control") and os.path.exists(
            os.path.join(bindir, "initdb")
        ):
            return bindir
    return None


def ensure_packages():
    if pg_bindir() and shutil.which("ogr2ogr") and shutil.which("psql"):
        return
    if os.geteuid() != 0:
        die("PostgreSQL/PostGIS/gdal-bin missing and not root: apt-get install -y " + " ".join(APT_PACKAGES))
    log("installing " + " ".join(APT_PACKAGES) + " ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if run(["apt-get", "install", "-y"] + APT_PACKAGES, env=env, check=False).returncode != 0:
        run(["apt-get", "update"], env=env)
        run(["apt-get", "install", "-y"] + APT_PACKAGES, env=env)
    if not pg_bindir():
        die("postgis extension not found after installing")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


# ---------------------------------------------------------------- zhishen


def run_zhishen(args):
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    if not args.skip_build:
        log("building bench_site (release) ...")
        run(["cargo", "build", "--release", "-p", "zhishen-site", "--example", "bench_site"], cwd=ROOT, env=env)
    exe = os.path.join(TARGET, "release", "examples", "bench_site")
    cmd = [exe, "--parcels", str(args.parcels), "--queries", str(args.queries), "--dir", args.dir]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    log("running " + " ".join(cmd))
    p = run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        die(f"bench_site failed (exit {p.returncode})", 1)
    return json.loads(lines[-1])


# ---------------------------------------------------------------- PostGIS


class Cluster:
    """A throwaway cluster in a temp dir, owned by `postgres`, on 127.0.0.1 only."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.tmp = tempfile.mkdtemp(prefix="zhishen-pg-")
        self.data = os.path.join(self.tmp, "data")
        self.sock = os.path.join(self.tmp, "sock")
        os.makedirs(self.sock)
        self.port = free_port()
        self.started = False
        self.as_pg = []
        if os.geteuid() == 0:
            for d in (self.tmp, self.sock):
                shutil.chown(d, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]

    def pg(self, tool, *a, **kw):
        return run(self.as_pg + [os.path.join(self.bindir, tool)] + list(a), **kw)

    def start(self):
        log(f"initdb + start PostgreSQL on 127.0.0.1:{self.port} in {self.tmp} ...")
        self.pg("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                stdout=subprocess.DEVNULL)
        # Throwaway cluster: durability off (it only affects loading), no parallel workers so
        # each query set runs on one backend thread like zhishen's single-thread figure.
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c shared_buffers=512MB -c work_mem=64MB -c maintenance_work_mem=512MB "
                "-c max_parallel_workers_per_gather=0 -c max_parallel_maintenance_workers=0 "
                "-c jit=off")
        self.pg("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.tmp, "log"), "-w", "start",
                stdout=subprocess.DEVNULL)
        self.started = True

    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def psql(self, sql, timing=False):
        """Runs SQL through psql; returns (rows, server milliseconds of the last statement)."""
        script = ("\\timing on\n" if timing else "") + sql
        p = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", "-d", "postgres", "-F", "\t"],
                input=script, stdout=subprocess.PIPE, text=True)
        rows, ms = [], None
        for line in p.stdout.splitlines():
            m = re.match(r"^Time: ([0-9.]+) ms", line)
            if m:
                ms = float(m.group(1))
            elif line:
                rows.append(line.split("\t"))
        return rows, ms

    def stop(self):
        if self.started:
            self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False, stdout=subprocess.DEVNULL)
            self.started = False
        shutil.rmtree(self.tmp, ignore_errors=True)


NEIGHBOURHOOD_SQL = """
SELECT sum(s.c) FROM queries q
CROSS JOIN LATERAL (SELECT count(*) AS c FROM parcel p WHERE ST_DWithin(p.geom, q.geom, 50)) s;
"""

NEAREST_SQL = """
SELECT round(sum(s.d)::numeric, 3), count(*) FROM queries q
CROSS JOIN LATERAL (SELECT ST_Distance(r.geom, q.geom) AS d FROM road_red_line r
                    ORDER BY r.geom <-> q.geom LIMIT 1) s;
"""


def run_postgis(args, cl):
    info = {}
    rows, _ = cl.psql("CREATE EXTENSION postgis; SELECT postgis_lib_version(), version();")
    info["postgis_version"] = rows[-1][0]
    info["postgres_version"] = " ".join(rows[-1][1].split()[:2])
    pgconn = "PG:" + cl.conninfo()
    load_s = 0.0
    for layer in ("parcel", "road_red_line"):
        src = os.path.join(args.dir, layer + ".gpkg")
        t = time.perf_counter()
        run(["ogr2ogr", "-f", "PostgreSQL", pgconn, src, layer, "-nln", layer,
             "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE", "-lco", "FID=fid",
             "-gt", "unlimited"], env=dict(os.environ, PG_USE_COPY="YES"))
        ogr_s = time.perf_counter() - t
        t = time.perf_counter()
        cl.psql(f"CREATE INDEX {layer}_geom_gist ON {layer} USING gist (geom); ANALYZE {layer};")
        idx_s = time.perf_counter() - t
        info[f"{layer}_ogr2ogr_seconds"] = ogr_s
        info[f"{layer}_index_seconds"] = idx_s
        load_s += ogr_s + idx_s
        log(f"  {layer}: ogr2ogr {ogr_s:.2f} s, GiST + ANALYZE {idx_s:.2f} s")
    info["load_seconds"] = load_s
    rows, _ = cl.psql("SELECT (SELECT count(*) FROM parcel), (SELECT count(*) FROM road_red_line);")
    info["parcels"], info["roads"] = int(rows[0][0]), int(rows[0][1])

    csv = os.path.join(args.dir, "queries.csv")
    cl.psql("CREATE TABLE queries_raw (id int, wkt text);\n"
            f"\\copy queries_raw FROM '{csv}' WITH (FORMAT csv, HEADER true)\n"
            "CREATE TABLE queries AS SELECT id, ST_GeomFromText(wkt, 4547) AS geom FROM queries_raw ORDER BY id;\n"
            "ANALYZE queries;")
    rows, _ = cl.psql("SELECT count(*) FROM queries;")
    nq = int(rows[0][0])
    info["queries"] = nq

    for name, sql in (("neighbourhood", NEIGHBOURHOOD_SQL), ("nearest", NEAREST_SQL)):
        best = None
        for r in range(args.warmup + args.runs):
            rows, ms = cl.psql(sql, timing=True)
            secs = ms / 1000.0
            if r >= args.warmup:
                best = secs if best is None else min(best, secs)
            log(f"  {name}: {'warm-up' if r < args.warmup else 'run'} {secs:.2f} s")
        info[f"{name}_seconds"] = best
        info[f"{name}_qps"] = nq / best if best else float("inf")
        info[f"{name}_checksum"] = rows[0][0]
        if name == "nearest":
            info["nearest_count"] = int(rows[0][1])
    return info


# ---------------------------------------------------------------- report


def report(z, p, la0, la1, args):
    nb_ok = int(z["neighbourhood_checksum"]) == int(p["neighbourhood_checksum"])
    nr_ok = abs(float(z["nearest_checksum"]) - float(p["nearest_checksum"])) <= 0.01
    out = []
    out.append(f"## Site model benchmark: {z['parcels']:,} parcels, {z['roads']:,} roads, {z['queries']:,} queries\n")
    out.append(f"{p['postgres_version']}, PostGIS {p['postgis_version']}; "
               f"load average {la0[0]:.2f} at start, {la1[0]:.2f} at end ({os.cpu_count()} CPUs)\n")
    out.append("| measure | zhishen | PostGIS | zhishen/PostGIS |")
    out.append("|---|---:|---:|---:|")
    out.append(f"| load seconds (zhishen: GDAL read + transform + R-tree; PostGIS: ogr2ogr + GiST + ANALYZE) "
               f"| {z['load_seconds']:.2f} | {p['load_seconds']:.2f} | {z['load_seconds'] / p['load_seconds']:.3f} |")
    for name, label in (("neighbourhood", "neighbourhood queries/s (parcels within 50 m of a 20x20 m footprint)"),
                        ("nearest", "nearest-road queries/s")):
        zq, pq = z[f"{name}_qps"], p[f"{name}_qps"]
        out.append(f"| {label}, 1 thread | {zq:,.0f} | {pq:,.0f} | {zq / pq:.2f} |")
    out.append(f"| neighbourhood queries/s, {z['threads']} threads (zhishen only) | {z['neighbourhood_qps_mt']:,.0f} | | |")
    out.append(f"| nearest-road queries/s, {z['threads']} threads (zhishen only) | {z['nearest_qps_mt']:,.0f} | | |")
    out.append(f"| neighbourhood checksum (total parcel hits) | {z['neighbourhood_checksum']} | "
               f"{p['neighbourhood_checksum']} | {'equal' if nb_ok else 'DIFFERENT'} |")
    out.append(f"| nearest checksum (sum of distances, m) | {z['nearest_checksum']} | "
               f"{p['nearest_checksum']} | {'equal' if nr_ok else 'DIFFERENT'} |")
    out.append("")
    out.append(f"Goals (zhishen): load < 2 s: **{z['goal_load_lt_2s']}**; "
               f">= 250k queries/s (1 thread, both query sets): **{z['goal_250k_qps']}**. "
               "Ratios: for load, below 1 means zhishen is faster; for queries/s, above 1 means zhishen is faster.")
    print("\n".join(out))
    return nb_ok and nr_ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--dir", help="site package dir (default ~/.cache/zhishen/bench/site-N)")
    ap.add_argument("--threads", type=int, help="threads for zhishen's multi-thread figure (default: all CPUs)")
    ap.add_argument("--runs", type=int, default=1, help="timed PostGIS runs per query set (best is kept)")
    ap.add_argument("--warmup", type=int, default=1, help="discarded PostGIS runs per query set")
    ap.add_argument("--skip-build", action="store_true", help="use the already built example")
    ap.add_argument("--keep-cluster", action="store_true", help="do not stop/remove the cluster (debugging)")
    ap.add_argument("--json-out", help="write all figures as JSON here")
    args = ap.parse_args()
    args.dir = os.path.abspath(args.dir or os.path.join(HOME, f".cache/zhishen/bench/site-{args.parcels}"))

    la0 = loadavg()
    ensure_packages()
    z = run_zhishen(args)
    log("zhishen: " + json.dumps(z))
    cl = Cluster(pg_bindir())
    try:
        cl.start()
        p = run_postgis(args, cl)
    finally:
        if args.keep_cluster:
            log(f"cluster kept: {cl.tmp} port {cl.port}")
        else:
            cl.stop()
    log("postgis: " + json.dumps(p))
    la1 = loadavg()
    ok = report(z, p, la0, la1, args)
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump({"zhishen": z, "postgis": p, "loadavg_start": la0, "loadavg_end": la1}, f, indent=2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
