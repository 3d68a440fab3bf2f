#!/usr/bin/env python3
"""Georeferences an IFC4 model: appends an IfcProjectedCRS and an IfcMapConversion on the
model's 3D 'Model' context, so that its origin lands at (E, N, H) of the named CRS with
its +X axis turned `rot` degrees counter-clockwise from grid east. Everything else is
kept byte for byte. Used to derive datasets/submission/ from datasets/ifc/:

    python3 scripts/georef-ifc.py datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc \
        datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc \
        --crs EPSG:4547 --e 528496 --n 3386425
"""
import argparse
import math
import re
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--crs", required=True, help="EPSG:<code>")
    ap.add_argument("--e", type=float, required=True)
    ap.add_argument("--n", type=float, required=True)
    ap.add_argument("--h", type=float, default=0.0)
    ap.add_argument("--rot", type=float, default=0.0)
    a = ap.parse_args()
    text = open(a.src, encoding="utf-8", newline="").read()
    if "FILE_SCHEMA(('IFC4'" not in text:
        sys.exit(f"{a.src}: not an IFC4 file (IfcMapConversion is IFC4 and later)")
    if "IFCMAPCONVERSION" in text:
        sys.exit(f"{a.src}: already has an IfcMapConversion")
    ctx = re.search(r"^#(\d+)\s*=\s*IFCGEOMETRICREPRESENTATIONCONTEXT\([^,]*,'Model',3,", text, re.M)
    if not ctx:
        sys.exit(f"{a.src}: no 3D 'Model' IfcGeometricRepresentationContext")
    unit = re.search(r"^#(\d+)\s*=\s*IFCSIUNIT\(\*,\.LENGTHUNIT\.,\$,\.METRE\.\);", text, re.M)
    if not unit:
        sys.exit(f"{a.src}: no metre length unit")
    top = max(int(m) for m in re.findall(r"^#(\d+)\s*=", text, re.M))
    end = text.rfind("ENDSEC;")
    if end < 0:
        sys.exit(f"{a.src}: no ENDSEC")
    c, s = math.cos(math.radians(a.rot)), math.sin(math.radians(a.rot))
    nl = "\r\n" if "\r\n" in text else "\n"
    added = (
        f"#{top + 1}= IFCPROJECTEDCRS('{a.crs}',$,'CGCS2000',$,$,$,#{unit.group(1)});{nl}"
        f"#{top + 2}= IFCMAPCONVERSION(#{ctx.group(1)},#{top + 1},{a.e!r},{a.n!r},{a.h!r},"
        f"{round(c, 12)!r},{round(s, 12)!r},$);{nl}"
    )
    with open(a.dst, "w", encoding="utf-8", newline="") as f:
        f.write(text[:end] + added + text[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
