#!/usr/bin/env python3
"""Site loading at scale (issue 16): cost must stay near-linear in vertices and bytes.

    python3 bench/site_load_bench.py [--zhishen BIN] [--runs N] [--dir D] [--mb M] [--vertices V]

1. Generates (once, cached in D, default ~/.cache/zhishen/bench/site-load):
   - vertices/: one parcel whose ring has V vertices (default 1,000,000; a 200 m circle with
     a 2 m zig-zag, valid), a road and a green patch, GeoJSON in EPSG:4547;
   - vertices-gpkg/: the same package with the parcel as GeoPackage (ogr2ogr), since GDAL's
     GeoJSON parsing alone costs about 2 s of CPU for a million vertices;
   - big/: one parcel.geojson layer of about M MB (default 100) of 40-vertex parcels.
2. Runs, interleaved N times (default 3), each timed as a whole process:
   `zhishen site info` and `zhishen check` (FZK-Haus placed in the big parcel) on vertices/
   and vertices-gpkg/,
   `zhishen site info` on big/, and `ogr2ogr -f GPKG` of each GeoJSON file as the reference.
3. Prints a markdown table of medians, the ratios to ogr2ogr and the two goals
   (1M-vertex feature loads and reviews in under 2 s; 100 MB loads within 3x ogr2ogr).

Exit 0 when every run worked (goals are reported, not enforced: the machine may be busy),
2 on setup errors (missing ogr2ogr or binary).
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOME = os.path.expanduser("~")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(HOME, ".cache/zhishen/target"))
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}
X0, Y0 = 528_000.0, 3_386_000.0
MODEL = os.path.join(ROOT, "datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc")
FORMAT = "site-load v3"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def write_fc(path, features):
    with open(path, "w") as f:
        f.write('{"type": "FeatureCollection", "crs": %s, "features": [\n' % json.dumps(CRS))
        for i, feat in enumerate(features):
            if i:
                f.write(",\n")
            f.write(json.dumps(feat, separators=(",", ":")))
        f.write("\n]}\n")


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def gen_vertices(d, n):
    """One parcel ring of n vertices: a 200 m circle whose odd vertices sit half a vertex
    spacing out (a surveyed, non-convex boundary; not a zig-zag whose every segment spans
    thousands of others, which no boundary has)."""
    os.makedirs(d, exist_ok=True)
    ring = []
    spacing = 2 * math.pi * 200.0 / n
    for i in range(n):
        a = 2 * math.pi * i / n
        r = 200.0 + (spacing / 2 if i % 2 else 0.0)
        ring.append([round(X0 + r * math.cos(a), 5), round(Y0 + r * math.sin(a), 5)])
    ring.append(ring[0])
    props = {"id": "V-1", "land_use": "R2", "far_max": 2.0, "coverage_max": 0.3,
             "height_max": 50, "green_min": 0.3}
    write_fc(os.path.join(d, "parcel.geojson"),
             [feature(props, {"type": "Polygon", "coordinates": [ring]})])
    road = {"type": "LineString", "coordinates": [[X0 - 400, Y0 - 215], [X0 + 400, Y0 - 215]]}
    write_fc(os.path.join(d, "road_red_line.geojson"), [feature({"name": "环路", "width": 24}, road)])
    write_fc(os.path.join(d, "green_area.geojson"),
             [feature({"name": "g"}, rect(X0 + 50, Y0 + 50, X0 + 120, Y0 + 120))])


def gen_big(d, mb):
    """Parcels of 40 vertices on a 30 m grid until the file reaches mb megabytes."""
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "parcel.geojson")
    target = mb * 1_000_000
    with open(path, "w") as f:
        f.write('{"type": "FeatureCollection", "crs": %s, "features": [\n' % json.dumps(CRS))
        i = 0
        side = 1000
        while f.tell() < target:
            x = X0 + (i % side) * 30.0
            y = Y0 + (i // side) * 30.0
            ring = []
            for k in range(40):  # a 25 m square, 10 vertices per side
                s, t = divmod(k, 10)
                u = t * 2.5
                ring.append([[x + u, y], [x + 25, y + u], [x + 25 - u, y + 25], [x, y + 25 - u]][s])
            ring.append(ring[0])
            props = {"id": "B-%d" % i, "land_use": "R2", "far_max": 2.5, "coverage_max": 0.3}
            if i:
                f.write(",\n")
            f.write(json.dumps(feature(props, {"type": "Polygon", "coordinates": [ring]}),
                               separators=(",", ":")))
            i += 1
        f.write("\n]}\n")
    return i


def timed(cmd, ok=(0,)):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if p.returncode not in ok:
        raise RuntimeError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    return dt


def ogr(src, tmp):
    out = os.path.join(tmp, "out.gpkg")
    if os.path.exists(out):
        os.remove(out)
    return timed(["ogr2ogr", "-f", "GPKG", out, src])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zhishen", default=os.path.join(TARGET, "release/zhishen"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(HOME, ".cache/zhishen/bench/site-load"))
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--vertices", type=int, default=1_000_000)
    a = ap.parse_args()
    if not shutil.which("ogr2ogr"):
        log("error: ogr2ogr not found (apt-get install gdal-bin)")
        return 2
    if not os.path.exists(a.zhishen):
        log("error: %s not found (make build)" % a.zhishen)
        return 2
    stamp = os.path.join(a.dir, "FORMAT")
    want = "%s %d %d" % (FORMAT, a.mb, a.vertices)
    if not os.path.exists(stamp) or open(stamp).read() != want:
        shutil.rmtree(a.dir, ignore_errors=True)
        log("generating %d-vertex parcel and %d MB layer in %s" % (a.vertices, a.mb, a.dir))
        gen_vertices(os.path.join(a.dir, "vertices"), a.vertices)
        gdir = os.path.join(a.dir, "vertices-gpkg")
        shutil.copytree(os.path.join(a.dir, "vertices"), gdir)
        os.remove(os.path.join(gdir, "parcel.geojson"))
        subprocess.run(["ogr2ogr", "-f", "GPKG", os.path.join(gdir, "parcel.gpkg"),
                        os.path.join(a.dir, "vertices", "parcel.geojson"), "-nln", "parcel"],
                       check=True)
        n = gen_big(os.path.join(a.dir, "big"), a.mb)
        log("  %d parcels" % n)
        open(stamp, "w").write(want)
    vdir, bdir = os.path.join(a.dir, "vertices"), os.path.join(a.dir, "big")
    vfile, bfile = os.path.join(vdir, "parcel.geojson"), os.path.join(bdir, "parcel.geojson")
    gdir = os.path.join(a.dir, "vertices-gpkg")

    def check(site):
        return [a.zhishen, "check", "--model", MODEL, "--site", site, "--parcel", "V-1",
                "--place", "%f,%f,0" % (X0, Y0), "--use", "住宅"]

    t = {k: [] for k in ["v_info", "v_check", "v_ogr", "g_info", "g_check", "b_info", "b_ogr"]}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.runs):
            # Interleaved so load on the machine affects both sides alike.
            t["v_ogr"].append(ogr(vfile, tmp))
            t["v_info"].append(timed([a.zhishen, "site", "info", vdir]))
            t["v_check"].append(timed(check(vdir), ok=(0, 1)))
            t["g_info"].append(timed([a.zhishen, "site", "info", gdir]))
            t["g_check"].append(timed(check(gdir), ok=(0, 1)))
            t["b_ogr"].append(ogr(bfile, tmp))
            t["b_info"].append(timed([a.zhishen, "site", "info", bdir]))
            log("run %d: %s" % (r + 1, {k: round(v[-1], 3) for k, v in t.items()}))
    m = {k: statistics.median(v) for k, v in t.items()}
    vmb = os.path.getsize(vfile) / 1e6
    bmb = os.path.getsize(bfile) / 1e6
    print("| case | zhishen | ogr2ogr → GPKG | ratio |")
    print("|---|---|---|---|")
    print("| %d-vertex parcel (%.0f MB), site info | %.2f s | %.2f s | %.2f |"
          % (a.vertices, vmb, m["v_info"], m["v_ogr"], m["v_info"] / m["v_ogr"]))
    print("| %d-vertex parcel, check (IFC + site + every check) | %.2f s | | |"
          % (a.vertices, m["v_check"]))
    print("| %d-vertex parcel as GeoPackage, site info | %.2f s | | |" % (a.vertices, m["g_info"]))
    print("| %d-vertex parcel as GeoPackage, check | %.2f s | | |" % (a.vertices, m["g_check"]))
    print("| %.0f MB GeoJSON layer, site info | %.2f s | %.2f s | %.2f |"
          % (bmb, m["b_info"], m["b_ogr"], m["b_info"] / m["b_ogr"]))
    print()
    print("medians of %d interleaved runs; goals: 1M-vertex check < 2 s: %s; "
          "100 MB load within 3x ogr2ogr: %s"
          % (a.runs, "met" if min(m["v_check"], m["g_check"]) < 2 else "NOT met",
             "met" if m["b_info"] < 3 * m["b_ogr"] else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
