#!/usr/bin/env python3
"""IfcOpenShell 0.9 reference values for the conformance test.

Usage:
    bench/.venv/bin/python tools/ifc_reference.py FILE.ifc [FILE.ifc ...]
    bench/.venv/bin/python tools/ifc_reference.py --out-dir DIR FILE.ifc ...

For every FILE.ifc writes ``reference/<stem>.json`` next to it (or into DIR), in
the shape that crates/ifc/tests/conformance.rs reads:

    file, schema, length_unit_to_m, storeys[{GlobalId, Name, Elevation_m}],
    space_count, sites[{RefLatitude_deg, RefLongitude_deg, ...}],
    map_conversion.items[{Eastings, Northings, OrthogonalHeight, XAxisAbscissa,
    XAxisOrdinate, Scale, TargetCRS{Name}}], geometry{bbox_min_m, bbox_max_m}

plus informative extras (class counts, triangle counts, IfcRigidOperation,
georeferencing property sets) that the test ignores.

Geometry: the IfcOpenShell geometry iterator (OpenCASCADE kernel) with
USE_WORLD_COORDS, excluding IfcSite, IfcSpace and IfcOpeningElement. The box
is over the vertices referenced by triangles, in model world coordinates in
metres (IfcOpenShell already converts to metres), before any georeferencing.

Compound plane angles (IfcSite RefLatitude/RefLongitude) are converted to
decimal degrees as d + m/60 + s/3600 + millionths/3.6e9 (every component
carries the sign, as IFC requires).

Needs ifcopenshell==0.9.0.post1 (bench/.venv has it; otherwise
``python3 -m venv .venv && .venv/bin/pip install ifcopenshell==0.9.0.post1``).
"""

import argparse
import json
import math
import multiprocessing
import os
import platform
import sys
import time

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.unit

EXCLUDE = ["IfcSite", "IfcSpace", "IfcOpeningElement"]
THREADS = 2
COUNT_CLASSES = [
    "IfcProduct", "IfcElement", "IfcBuildingElementProxy", "IfcWall", "IfcSlab",
    "IfcRoof", "IfcDoor", "IfcWindow", "IfcColumn", "IfcBeam", "IfcMember",
    "IfcPlate", "IfcStair", "IfcRailing", "IfcCovering", "IfcCurtainWall",
    "IfcFurnishingElement", "IfcOpeningElement", "IfcSpace", "IfcBuildingStorey",
    "IfcBuilding", "IfcSite",
]
GEOREF_PSETS = ("epset_mapconversion", "epset_projectedcrs")


def by_type(f, cls):
    try:
        return f.by_type(cls)
    except RuntimeError:
        return None  # class not in this schema


def compound_deg(v):
    if v is None:
        return None
    parts = list(v) + [0] * (4 - len(v))
    d, m, s, us = parts[:4]
    return d + m / 60.0 + s / 3600.0 + us / 3.6e9


def scaled(v, k):
    return None if v is None else v * k


def short_ref(e):
    return None if e is None else f"#{e.id()}={e.is_a()}"


def storeys(f, unit):
    out = []
    for s in by_type(f, "IfcBuildingStorey") or []:
        out.append({
            "id": s.id(),
            "GlobalId": s.GlobalId,
            "Name": s.Name,
            "LongName": s.LongName,
            "Elevation": s.Elevation,
            "Elevation_m": scaled(s.Elevation, unit),
        })
    return out


def sites(f, unit):
    out = []
    for s in by_type(f, "IfcSite") or []:
        lat = list(s.RefLatitude) if s.RefLatitude is not None else None
        lon = list(s.RefLongitude) if s.RefLongitude is not None else None
        out.append({
            "id": s.id(),
            "GlobalId": s.GlobalId,
            "Name": s.Name,
            "RefLatitude": lat,
            "RefLongitude": lon,
            "RefElevation": s.RefElevation,
            "RefLatitude_deg": compound_deg(lat),
            "RefLongitude_deg": compound_deg(lon),
            "RefElevation_m": scaled(s.RefElevation, unit),
        })
    return out


def crs_info(c):
    if c is None:
        return None
    d = {}
    for k in ("Name", "Description", "GeodeticDatum", "VerticalDatum", "MapProjection", "MapZone"):
        d[k] = getattr(c, k, None)  # IfcGeographicCRS (IFC4X3) has no VerticalDatum/MapProjection
    d["type"] = c.is_a()
    if c.is_a("IfcProjectedCRS"):
        d["MapUnit"] = None if c.MapUnit is None else str(c.MapUnit)
    else:
        # IfcGeographicCRS (IFC4X3): angle and height units instead of a map unit.
        d["MapUnit"] = None
        for k in ("PrimeMeridian", "AngleUnit", "HeightUnit"):
            if hasattr(c, k):
                v = getattr(c, k)
                d[k] = v if v is None or isinstance(v, str) else str(v)
    return d


def map_conversions(f):
    items = by_type(f, "IfcMapConversion")
    if items is None:
        return {"in_schema": False, "items": []}
    out = []
    for m in items:
        d = {
            "id": m.id(),
            "type": m.is_a(),
            "SourceCRS": short_ref(m.SourceCRS),
            "Eastings": m.Eastings,
            "Northings": m.Northings,
            "OrthogonalHeight": m.OrthogonalHeight,
            "XAxisAbscissa": m.XAxisAbscissa,
            "XAxisOrdinate": m.XAxisOrdinate,
            "Scale": m.Scale,
            "TargetCRS": crs_info(m.TargetCRS),
        }
        for k in ("FactorX", "FactorY", "FactorZ"):  # IfcMapConversionScaled (IFC4X3)
            if hasattr(m, k):
                d[k] = getattr(m, k)
        out.append(d)
    return {"in_schema": True, "items": out}


def rigid_operations(f):
    items = by_type(f, "IfcRigidOperation")
    if items is None:
        return {"in_schema": False, "items": []}

    def measure(v):
        return v.wrappedValue if hasattr(v, "wrappedValue") else v

    return {"in_schema": True, "items": [{
        "id": r.id(),
        "SourceCRS": short_ref(r.SourceCRS),
        "FirstCoordinate": measure(r.FirstCoordinate),
        "FirstCoordinateType": r.FirstCoordinate.is_a() if hasattr(r.FirstCoordinate, "is_a") else None,
        "SecondCoordinate": measure(r.SecondCoordinate),
        "SecondCoordinateType": r.SecondCoordinate.is_a() if hasattr(r.SecondCoordinate, "is_a") else None,
        "Height": r.Height,
        "TargetCRS": crs_info(r.TargetCRS),
    } for r in items]}


def georef_psets(f):
    out = {}
    for ps in by_type(f, "IfcPropertySet") or []:
        if (ps.Name or "").lower() in GEOREF_PSETS:
            props = {}
            for p in ps.HasProperties or []:
                v = getattr(p, "NominalValue", None)
                props[p.Name] = v.wrappedValue if v is not None else None
            out.setdefault(ps.Name, []).append({"id": ps.id(), "properties": props})
    return out


def geometry(f):
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    excluded = tuple(EXCLUDE)
    products = [p for p in by_type(f, "IfcProduct") or []
                if p.Representation is not None and not any(p.is_a(x) for x in excluded)]
    t0 = time.perf_counter()
    shapes = with_tris = tris = 0
    by_class, tris_by_class = {}, {}
    shape_ids = []
    lo = [math.inf] * 3
    hi = [-math.inf] * 3
    it = ifcopenshell.geom.iterator(settings, f, THREADS, exclude=EXCLUDE)
    if it.initialize():
        while True:
            shape = it.get()
            shapes += 1
            shape_ids.append(int(shape.id))
            cls = f.by_id(shape.id).is_a()
            by_class[cls] = by_class.get(cls, 0) + 1
            g = shape.geometry
            faces = g.faces
            n = len(faces) // 3
            tris += n
            tris_by_class[cls] = tris_by_class.get(cls, 0) + n
            if n:
                with_tris += 1
                v = g.verts
                for i in set(faces):
                    for k in range(3):
                        c = v[3 * i + k]
                        if c < lo[k]:
                            lo[k] = c
                        if c > hi[k]:
                            hi[k] = c
            if not it.next():
                break
    secs = time.perf_counter() - t0
    seen = set(shape_ids)
    missing = [{"id": p.id(), "class": p.is_a()} for p in products if p.id() not in seen]
    out = {
        "settings": {
            "USE_WORLD_COORDS": True,
            "threads": THREADS,
            "kernel": "opencascade (default)",
            "exclude": EXCLUDE,
            "bbox_vertices": "vertices referenced by triangles",
        },
        "products_with_representation_not_excluded": len(products),
        "shapes_returned": shapes,
        "shapes_with_triangles": with_tris,
        "triangles": tris,
        "shapes_by_class": dict(sorted(by_class.items())),
        "triangles_by_class": dict(sorted(tris_by_class.items())),
        "seconds": secs,
        # Products with a representation that the iterator returned no shape for
        # (failed, or no Body geometry): the box does not cover them.
        "products_without_shape": missing,
    }
    notes = []
    contexts = by_type(f, "IfcContext") or []
    if len(contexts) > 1:
        # Seen with IfcOpenShell 0.9.0: a model with an IfcProjectLibrary besides the
        # IfcProject is meshed without the project length unit (mm read as m).
        notes.append("more than one IfcContext (%s): IfcOpenShell may mesh without the project "
                     "length unit; check the box against length_unit_to_m"
                     % ", ".join(c.is_a() for c in contexts))
    def has_body(pid):
        reps = f.by_id(pid).Representation.Representations or []
        return any(r.RepresentationIdentifier in ("Body", "Facetation") for r in reps)

    failed = [m for m in missing if has_body(m["id"])]
    if failed:
        notes.append("%d product(s) with a Body representation got no shape from IfcOpenShell; "
                     "the box does not cover them" % len(failed))
    out["notes"] = notes
    if with_tris:
        size = [hi[0] - lo[0], hi[1] - lo[1]]
        out.update({
            "bbox_min_m": lo,
            "bbox_max_m": hi,
            "height_m": hi[2] - lo[2],
            "footprint_xy_m": {"min": lo[:2], "max": hi[:2], "size": size,
                               "area_bbox_m2": size[0] * size[1]},
        })
    else:
        out.update({"bbox_min_m": None, "bbox_max_m": None})
    return out


def reference(path):
    t0 = time.perf_counter()
    f = ifcopenshell.open(path)
    unit = ifcopenshell.util.unit.calculate_unit_scale(f)
    st = storeys(f, unit)
    counts = {}
    for c in COUNT_CLASSES:
        r = by_type(f, c)
        counts[c] = None if r is None else len(r)
    fn = f.header.file_name
    r = {
        "file": os.path.basename(path),
        "bytes": os.path.getsize(path),
        "schema_identifier": f.schema_identifier,
        "schema": f.schema,
        "originating_system": fn.originating_system,
        "entity_count": len(list(f)),
        "tool": {"ifcopenshell": ifcopenshell.version, "python": platform.python_version(),
                 "total_seconds": None},
        "length_unit_to_m": unit,
        "storey_count": len(st),
        "storeys": st,
        "storeys_by_elevation": [s["Name"] for s in sorted(
            st, key=lambda s: (s["Elevation_m"] is None, s["Elevation_m"] or 0.0))],
        "space_count": len(by_type(f, "IfcSpace") or []),
        "class_counts_incl_subtypes": counts,
        "sites": sites(f, unit),
        "map_conversion": map_conversions(f),
        "rigid_operation": rigid_operations(f),
        "georef_psets": georef_psets(f),
        "geometry": geometry(f),
    }
    r["tool"]["total_seconds"] = time.perf_counter() - t0
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out-dir", help="write here instead of <dir of FILE>/reference")
    args = ap.parse_args()
    rc = 0
    for p in args.files:
        out_dir = args.out_dir or os.path.join(os.path.dirname(os.path.abspath(p)), "reference")
        os.makedirs(out_dir, exist_ok=True)
        stem = os.path.splitext(os.path.basename(p))[0]
        try:
            r = reference(p)
        except Exception as e:  # keep going over a corpus; report and exit non-zero
            print(f"{p}: {type(e).__name__}: {e}", file=sys.stderr)
            rc = 1
            continue
        out = os.path.join(out_dir, stem + ".json")
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(r, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        g = r["geometry"]
        print(f"{out}: {r['schema']} unit={r['length_unit_to_m']} storeys={r['storey_count']} "
              f"shapes={g['shapes_returned']} bbox={g['bbox_min_m']}..{g['bbox_max_m']}")
    return rc


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
