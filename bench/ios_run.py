#!/usr/bin/env python3
"""IfcOpenShell peer runner for the zhishen IFC benchmark.

Usage:
    ios_run.py [--threads N] FILE      time open + triangulate every product
    ios_run.py --baseline              import ifcopenshell only (runtime RSS)

Prints one JSON line on stdout:
    {"tool": "ifcopenshell", "seconds": ..., "meshes": ..., "triangles": ..., ...}

Timed section (``seconds``): ifcopenshell.open(FILE) + a full run of the
geometry iterator (OpenCASCADE kernel, USE_WORLD_COORDS=True, IfcSpace,
IfcOpeningElement and IfcSite excluded, which mirrors the element set that
web-ifc's StreamAllMeshes produces). For every shape the triangle count is
read from the int32 faces buffer (no per-index Python objects are built).
"""

import argparse
import json
import sys
import time

EXCLUDE = ["IfcSpace", "IfcOpeningElement", "IfcSite"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--include-site", action="store_true",
                    help="mesh IfcSite too (web-ifc 0.0.78 StreamAllMeshes streams it)")
    args = ap.parse_args()

    t_import = time.perf_counter()
    import ifcopenshell
    import ifcopenshell.geom

    import_seconds = time.perf_counter() - t_import

    if args.baseline:
        print(json.dumps({
            "tool": "ifcopenshell",
            "version": ifcopenshell.version,
            "baseline": True,
            "import_seconds": import_seconds,
        }))
        return 0
    if not args.file:
        ap.error("FILE is required unless --baseline")

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)

    t0 = time.perf_counter()
    model = ifcopenshell.open(args.file)
    t_open = time.perf_counter()
    meshes = 0
    triangles = 0
    products = set()
    exclude = [t for t in EXCLUDE if not (args.include_site and t == "IfcSite")]
    it = ifcopenshell.geom.iterator(settings, model, args.threads, exclude=exclude)
    if it.initialize():
        while True:
            shape = it.get()
            meshes += 1
            products.add(shape.id)
            # faces_buffer: packed int32 vertex indices, 3 per triangle.
            triangles += len(shape.geometry.faces_buffer) // 12
            if not it.next():
                break
    t1 = time.perf_counter()

    print(json.dumps({
        "tool": "ifcopenshell",
        "version": ifcopenshell.version,
        "seconds": t1 - t0,
        "open_seconds": t_open - t0,
        "geometry_seconds": t1 - t_open,
        "meshes": meshes,
        "elements": len(products),
        "triangles": triangles,
        "threads": args.threads,
        "exclude": exclude,
        "import_seconds": import_seconds,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
