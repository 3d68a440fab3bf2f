#!/usr/bin/env python3
"""Representation probes: one IFC4 file per geometry kind, for the IFC load benchmark.

Usage:
    python3 bench/probes.py OUT_DIR [--count N]

Writes OUT_DIR/<kind>.ifc for every kind below: a project, site, building and one
storey, and N grid cells (default 2,000; 1,000 for the face sets) of products of one
representation kind on a 3 m grid. A real export mixes kinds; these files isolate
one each, so that a ratio against web-ifc says which representation a load is
slow or fast on (bench/README.md, "Representation probes").

    steel       I-beams cut at both ends by IfcHalfSpaceSolid (Tekla), plates, bolts
    cutpart     an I-beam less a box (IfcBooleanResult of two extrusions)
    openings    walls, each with three IfcOpeningElement voids
    arcprofile  columns of a composite-curve profile (lines and an arc) with a round hole
    round       round columns (IfcCircleProfileDef) and hollow round ducts
                (IfcCircleHollowProfileDef), extruded
    ducts       four hollow round pipes lying side by side (IfcCircleHollowProfileDef
                extruded), as Revit writes MEP runs
    polycurve   curved walls: an IfcIndexedPolyCurve profile of lines and arcs (IFC4)
    revolved    half tori (IfcRevolvedAreaSolid of a circle)
    rebar       eight bent bars each (IfcSweptDiskSolid along polylines)
    pipe        hollow pipes (IfcSweptDiskSolid with an inner radius)
    trifaces    closed 12 x 24 spheres as IfcTriangulatedFaceSet
    polysphere  the same spheres as IfcPolygonalFaceSet (quads, triangles at the poles)
    polyfaces   unit boxes as IfcPolygonalFaceSet
"""

import argparse
import hashlib
import math
from pathlib import Path

GUID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"


class Writer:
    """Numbers records as they are added; `add` returns the new record's `#id`."""

    def __init__(self):
        self.records = []
        self.guids = 0

    def add(self, body):
        self.records.append(f"#{len(self.records) + 1}={body};")
        return f"#{len(self.records)}"

    def guid(self):
        self.guids += 1
        h = int(hashlib.md5(str(self.guids).encode()).hexdigest(), 16)
        out = "3"
        for _ in range(21):
            out += GUID_CHARS[h % 64]
            h //= 64
        return out

    def point(self, *c):
        return self.add(f"IFCCARTESIANPOINT(({','.join(f'{v:.4f}' for v in c)}))")

    def direction(self, *c):
        return self.add(f"IFCDIRECTION(({','.join(f'{v:.6f}' for v in c)}))")

    def axis3(self, origin=(0.0, 0.0, 0.0), z=None, x=None):
        z = self.direction(*z) if z else "$"
        x = self.direction(*x) if x else "$"
        return self.add(f"IFCAXIS2PLACEMENT3D({self.point(*origin)},{z},{x})")

    def axis2(self, x=0.0, y=0.0):
        return self.add(f"IFCAXIS2PLACEMENT2D({self.point(x, y)},$)")

    def polyline(self, pts):
        return self.add(f"IFCPOLYLINE(({','.join(self.point(*p) for p in pts)}))")

    def extrusion(self, profile, depth, position=None):
        position = position or self.axis3()
        return self.add(f"IFCEXTRUDEDAREASOLID({profile},{position},{self.z},{depth})")

    def text(self):
        head = (
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [ReferenceView]'),'2;1');\n"
            "FILE_NAME('probe.ifc','2026-12-05T00:00:00',(''),(''),'zhishen bench/probes.py','','');\n"
            "FILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n"
        )
        return head + "\n".join(self.records) + "\nENDSEC;\nEND-ISO-10303-21;\n"


def model(kind, count):
    w = Writer()
    w.z = w.direction(0.0, 0.0, 1.0)
    origin = w.axis3()
    ctx = w.add(f"IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,{origin},$)")
    w.body = w.add(f"IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,{ctx},$,.MODEL_VIEW.,$)")
    units = [
        w.add("IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.)"),
        w.add("IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.)"),
        w.add("IFCSIUNIT(*,.PLANEANGLEUNIT.,$,.RADIAN.)"),
    ]
    assignment = w.add(f"IFCUNITASSIGNMENT(({','.join(units)}))")
    project = w.add(f"IFCPROJECT('{w.guid()}',$,'probe',$,$,$,$,({ctx}),{assignment})")
    site_at = w.add(f"IFCLOCALPLACEMENT($,{origin})")
    site = w.add(f"IFCSITE('{w.guid()}',$,'site',$,$,{site_at},$,$,.ELEMENT.,$,$,$,$,$)")
    building = w.add(f"IFCBUILDING('{w.guid()}',$,'building',$,$,{site_at},$,$,.ELEMENT.,$,$,$)")
    w.storey_at = w.add(f"IFCLOCALPLACEMENT({site_at},{origin})")
    storey = w.add(f"IFCBUILDINGSTOREY('{w.guid()}',$,'L1',$,$,{w.storey_at},$,$,.ELEMENT.,0.)")
    for whole, part in ((project, site), (site, building), (building, storey)):
        w.add(f"IFCRELAGGREGATES('{w.guid()}',$,$,$,{whole},({part}))")
    w.a2 = w.axis2()
    products = []
    for i in range(count):
        products.extend(KINDS[kind](w, i))
    w.add(f"IFCRELCONTAINEDINSPATIALSTRUCTURE('{w.guid()}',$,$,$,({','.join(products)}),{storey})")
    return w.text()


def place(w, i):
    at = w.axis3(((i % 50) * 3.0, (i // 50) * 3.0, 0.0))
    return w.add(f"IFCLOCALPLACEMENT({w.storey_at},{at})")


def shape(w, items):
    rep = w.add(f"IFCSHAPEREPRESENTATION({w.body},'Body','SweptSolid',({','.join(items)}))")
    return w.add(f"IFCPRODUCTDEFINITIONSHAPE($,$,({rep}))")


def product(w, cls, i, items, tail="$"):
    """A product of class `cls` (the STEP keyword) at grid cell `i`: Tag `$`, then `tail`."""
    return w.add(f"{cls}('{w.guid()}',$,'{cls.lower()[3:]}',$,$,{place(w, i)},{shape(w, items)},$,{tail})")


def i_beam(w):
    return w.add(f"IFCISHAPEPROFILEDEF(.AREA.,$,{w.a2},0.2,0.4,0.01,0.015,0.01,$,$)")


def steel(w, i):
    along_x = w.axis3(z=(1.0, 0.0, 0.0), x=(0.0, 0.0, 1.0))
    solid = w.extrusion(i_beam(w), 3.0, along_x)
    for x, nx in ((0.05, -1.0), (2.95, 1.0)):
        plane = w.add(f"IFCPLANE({w.axis3((x, 0.0, 0.0), z=(nx, 0.0, 0.3))})")
        half = w.add(f"IFCHALFSPACESOLID({plane},.F.)")
        solid = w.add(f"IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,{solid},{half})")
    out = [product(w, "IFCBEAM", i, [solid])]
    outline = w.polyline([(0.0, 0.0), (0.3, 0.0), (0.3, 0.25), (0.05, 0.4), (0.0, 0.4), (0.0, 0.0)])
    plate = w.extrusion(
        w.add(f"IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,{outline})"),
        0.02,
        w.axis3((3.0, -0.15, 0.0), z=(1.0, 0.0, 0.0), x=(0.0, 1.0, 0.0)),
    )
    out.append(product(w, "IFCPLATE", i, [plate]))
    for k in range(4):
        hexagon = w.polyline([(0.015 * math.cos(a * math.pi / 3), 0.015 * math.sin(a * math.pi / 3)) for a in range(7)])
        y = -0.1 + 0.05 * k
        head = w.extrusion(
            w.add(f"IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,{hexagon})"),
            0.01,
            w.axis3((3.03, y, 0.1), z=(1.0, 0.0, 0.0), x=(0.0, 1.0, 0.0)),
        )
        shank = w.extrusion(
            w.add(f"IFCCIRCLEPROFILEDEF(.AREA.,$,{w.a2},0.01)"),
            0.06,
            w.axis3((2.98, y, 0.1), z=(1.0, 0.0, 0.0), x=(0.0, 1.0, 0.0)),
        )
        out.append(product(w, "IFCMECHANICALFASTENER", i, [head, shank], "0.02,0.06,.BOLT."))
    return out


def cutpart(w, i):
    box = w.add(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,{w.a2},0.3,0.1)")
    cut = w.extrusion(box, 0.3, w.axis3((0.0, 0.15, 1.5)))
    solid = w.add(f"IFCBOOLEANRESULT(.DIFFERENCE.,{w.extrusion(i_beam(w), 3.0)},{cut})")
    return [product(w, "IFCBEAM", i, [solid], ".BEAM.")]


def openings(w, i):
    profile = w.add(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,{w.axis2(1.25, 0.1)},2.5,0.2)")
    wall = product(w, "IFCWALL", i, [w.extrusion(profile, 3.0)], ".STANDARD.")
    for k in range(3):
        hole = w.add(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,{w.a2},0.5,0.4)")
        solid = w.extrusion(hole, 1.0, w.axis3((0.4 + 0.8 * k, 0.1, 1.0)))
        opening = product(w, "IFCOPENINGELEMENT", i, [solid], ".OPENING.")
        w.add(f"IFCRELVOIDSELEMENT('{w.guid()}',$,$,$,{wall},{opening})")
    return [wall]


def arcprofile(w, i):
    lines = w.polyline([(0.0, 0.0), (0.0, -1.0), (1.0, -1.0), (1.0, 0.0)])
    circle = w.add(f"IFCCIRCLE({w.axis2(0.5, 0.0)},0.5)")
    arc = w.add(f"IFCTRIMMEDCURVE({circle},(IFCPARAMETERVALUE(0.)),(IFCPARAMETERVALUE(3.14159265)),.T.,.PARAMETER.)")
    segments = [w.add(f"IFCCOMPOSITECURVESEGMENT(.CONTINUOUS.,.T.,{c})") for c in (lines, arc)]
    outer = w.add(f"IFCCOMPOSITECURVE(({','.join(segments)}),.F.)")
    hole = w.add(f"IFCCIRCLE({w.axis2(0.5, -0.3)},0.15)")
    profile = w.add(f"IFCARBITRARYPROFILEDEFWITHVOIDS(.AREA.,$,{outer},({hole}))")
    return [product(w, "IFCCOLUMN", i, [w.extrusion(profile, 2.5)], ".COLUMN.")]


def hollow_run(w, i, cls, y):
    """A hollow round segment of class `cls` (0.3 m across, 10 mm wall), 2.8 m along x
    at height 2.5 m and offset `y` in its cell."""
    profile = w.add(f"IFCCIRCLEHOLLOWPROFILEDEF(.AREA.,$,{w.a2},0.15,0.01)")
    along_x = w.axis3((0.0, y, 2.5), z=(1.0, 0.0, 0.0), x=(0.0, 0.0, 1.0))
    return product(w, cls, i, [w.extrusion(profile, 2.8, along_x)], ".RIGIDSEGMENT.")


def round_(w, i):
    column = w.add(f"IFCCIRCLEPROFILEDEF(.AREA.,$,{w.a2},0.25)")
    return [
        product(w, "IFCCOLUMN", i, [w.extrusion(column, 3.0)], ".COLUMN."),
        hollow_run(w, i, "IFCDUCTSEGMENT", 1.0),
    ]


def ducts(w, i):
    return [hollow_run(w, i, "IFCPIPESEGMENT", 0.5 * k) for k in range(4)]


def polycurve(w, i):
    # A quarter ring wall 0.2 m thick, outer radius 2.5 m: two arcs (three points
    # each) joined by two lines, as IFC4 exporters write curved walls.
    c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
    pts = [(2.5, 0.0), (2.5 * c, 2.5 * s), (0.0, 2.5), (0.0, 2.3), (2.3 * c, 2.3 * s), (2.3, 0.0)]
    coords = w.add("IFCCARTESIANPOINTLIST2D((" + ",".join(f"({x:.5f},{y:.5f})" for x, y in pts) + "),$)")
    segments = "(IFCARCINDEX((1,2,3)),IFCLINEINDEX((3,4)),IFCARCINDEX((4,5,6)),IFCLINEINDEX((6,1)))"
    curve = w.add(f"IFCINDEXEDPOLYCURVE({coords},{segments},.F.)")
    profile = w.add(f"IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,{curve})")
    return [product(w, "IFCWALL", i, [w.extrusion(profile, 3.0)], ".STANDARD.")]


def revolved(w, i):
    profile = w.add(f"IFCCIRCLEPROFILEDEF(.AREA.,$,{w.axis2(0.6, 0.0)},0.1)")
    axis = w.add(f"IFCAXIS1PLACEMENT({w.point(0.0, 0.0, 0.0)},{w.direction(0.0, 1.0, 0.0)})")
    solid = w.add(f"IFCREVOLVEDAREASOLID({profile},{w.axis3()},{axis},3.14159)")
    return [product(w, "IFCBUILDINGELEMENTPROXY", i, [solid])]


def rebar(w, i):
    bars = []
    for k in range(8):
        x = 0.1 * k
        path = w.polyline([(x, 0.0, 0.0), (x, 0.0, 2.5), (x, 0.4, 2.8), (x, 1.5, 2.8)])
        bars.append(w.add(f"IFCSWEPTDISKSOLID({path},0.008,$,$,$)"))
    return [product(w, "IFCREINFORCINGBAR", i, bars, "$,0.016,$,$,.MAIN.,$")]


def pipe(w, i):
    path = w.polyline([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (2.0, 2.0, 0.0), (2.0, 2.0, 2.0)])
    solid = w.add(f"IFCSWEPTDISKSOLID({path},0.05,0.045,$,$)")
    return [product(w, "IFCPIPESEGMENT", i, [solid], ".RIGIDSEGMENT.")]


def sphere_points(rings=12, around=24, r=0.5, poles=True):
    """Rings of points from the top down; with `poles`, each pole once per point of a ring."""
    pts = []
    for a in range(0 if poles else 1, rings + 1 if poles else rings):
        th = math.pi * a / rings
        for b in range(around):
            ph = 2 * math.pi * b / around
            pts.append((r * math.sin(th) * math.cos(ph), r * math.sin(th) * math.sin(ph), r + r * math.cos(th)))
    return pts


def point_list(w, pts):
    return w.add("IFCCARTESIANPOINTLIST3D((" + ",".join(f"({x:.5f},{y:.5f},{z:.5f})" for x, y, z in pts) + "),$)")


def trifaces(w, i, rings=12, around=24):
    pts = sphere_points(rings, around)
    tris = []
    for a in range(rings):
        for b in range(around):
            p0, p1 = a * around + b + 1, a * around + (b + 1) % around + 1
            p2, p3 = p0 + around, p1 + around
            tris += [(p0, p2, p1), (p1, p2, p3)]
    index = ",".join(f"({a},{b},{c})" for a, b, c in tris)
    solid = w.add(f"IFCTRIANGULATEDFACESET({point_list(w, pts)},$,.T.,({index}),$)")
    return [product(w, "IFCBUILDINGELEMENTPROXY", i, [solid])]


def polysphere(w, i, rings=12, around=24):
    pts = sphere_points(rings, around, poles=False) + [(0.0, 0.0, 1.0), (0.0, 0.0, 0.0)]
    top, bottom = len(pts) - 1, len(pts)
    faces = []
    for a in range(rings - 2):
        for b in range(around):
            p0, p1 = a * around + b + 1, a * around + (b + 1) % around + 1
            faces.append((p0, p0 + around, p1 + around, p1))
    last = (rings - 2) * around
    for b in range(around):
        faces.append((top, b + 1, (b + 1) % around + 1))
        faces.append((bottom, last + (b + 1) % around + 1, last + b + 1))
    refs = [w.add(f"IFCINDEXEDPOLYGONALFACE(({','.join(map(str, f))}))") for f in faces]
    solid = w.add(f"IFCPOLYGONALFACESET({point_list(w, pts)},.T.,({','.join(refs)}),$)")
    return [product(w, "IFCFURNITURE", i, [solid])]


def polyfaces(w, i):
    pts = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    faces = [(1, 4, 3, 2), (5, 6, 7, 8), (1, 2, 6, 5), (2, 3, 7, 6), (3, 4, 8, 7), (4, 1, 5, 8)]
    refs = [w.add(f"IFCINDEXEDPOLYGONALFACE(({','.join(map(str, f))}))") for f in faces]
    solid = w.add(f"IFCPOLYGONALFACESET({point_list(w, pts)},.T.,({','.join(refs)}),$)")
    return [product(w, "IFCFURNITURE", i, [solid])]


KINDS = {
    "steel": steel,
    "cutpart": cutpart,
    "openings": openings,
    "arcprofile": arcprofile,
    "round": round_,
    "ducts": ducts,
    "polycurve": polycurve,
    "revolved": revolved,
    "rebar": rebar,
    "pipe": pipe,
    "trifaces": trifaces,
    "polysphere": polysphere,
    "polyfaces": polyfaces,
}
FACE_SETS = {"trifaces", "polysphere"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        count = args.count // 2 if kind in FACE_SETS else args.count
        path = args.out_dir / f"{kind}.ifc"
        path.write_text(model(kind, count))
        print(f"{path}: {count} grid cells, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
