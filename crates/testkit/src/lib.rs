//! Test support: a small IFC4 writer for buildings with hand-computable facts.
//!
//! Given a footprint, storeys and storey height it writes floor slabs, walls and a
//! roof as extrusions, optionally georeferenced with IfcMapConversion, in metres
//! or millimetres. Only for tests: it writes what the checks need, nothing more.

use std::fmt::Write;

pub mod corpus;
pub mod pdf;
pub mod shapes;
pub mod tile;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Metre,
    Millimetre,
}

impl Unit {
    pub(crate) fn per_m(self) -> f64 {
        match self {
            Unit::Metre => 1.0,
            Unit::Millimetre => 1000.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Roof {
    /// Flat roof slab on the top storey with a parapet of this height (0 = none).
    Flat {
        parapet_m: f64,
    },
    /// Gable roof over a rectangular footprint: ridge along x, `rise_m` above the eave.
    Gable {
        rise_m: f64,
    },
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapConv {
    pub eastings: f64,
    pub northings: f64,
    pub height: f64,
    pub rotation_deg: f64,
    pub epsg: u32,
    /// MapUnit of the projected CRS; `None` leaves it unset (project unit applies).
    pub map_unit: Option<Unit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuildingSpec {
    /// Outline in metres, counter-clockwise, not closed.
    pub footprint: Vec<[f64; 2]>,
    pub storeys: usize,
    pub basements: usize,
    pub storey_height_m: f64,
    pub unit: Unit,
    pub roof: Roof,
    pub map_conversion: Option<MapConv>,
    pub terrain_m: Option<f64>,
    /// A sloping terrain 地形 as an IfcGeographicElement TERRAIN in the site: its
    /// surface height at the footprint's smallest and largest x, planar in between
    /// (no ElevationOfTerrain needed).
    pub terrain_slope: Option<[f64; 2]>,
    /// Pset_BuildingCommon.OccupancyType.
    pub occupancy: Option<String>,
    pub wall_thickness_m: f64,
    /// One IfcSpace per storey over the bounding rectangle inset by the walls, no quantities.
    pub spaces: bool,
    /// Write a floor slab per storey (default true).
    pub floor_slabs: bool,
    /// Every placement is offset by this (m), e.g. to draw the model at map coordinates.
    pub origin: [f64; 2],
}

impl Default for BuildingSpec {
    fn default() -> Self {
        BuildingSpec {
            footprint: vec![[0.0, 0.0], [20.0, 0.0], [20.0, 10.0], [0.0, 10.0]],
            storeys: 3,
            basements: 0,
            storey_height_m: 3.0,
            unit: Unit::Metre,
            roof: Roof::Flat { parapet_m: 0.0 },
            map_conversion: None,
            terrain_m: None,
            terrain_slope: None,
            occupancy: None,
            wall_thickness_m: 0.2,
            spaces: false,
            floor_slabs: true,
            origin: [0.0, 0.0],
        }
    }
}

/// Entity writer: numbers records, scales lengths to the file's unit.
pub(crate) struct W {
    pub(crate) out: String,
    pub(crate) next: u32,
    pub(crate) k: f64,
    pub(crate) origin: [f64; 2],
}

/// The representation context and project written by [`W::project`].
pub(crate) struct ProjectIds {
    pub(crate) body_ctx: u32,
    pub(crate) project: u32,
}

impl W {
    pub(crate) fn new(unit: Unit, origin: [f64; 2]) -> W {
        W {
            out: String::new(),
            next: 1,
            k: unit.per_m(),
            origin,
        }
    }
    pub(crate) fn add(&mut self, body: impl AsRef<str>) -> u32 {
        let id = self.next;
        self.next += 1;
        let _ = writeln!(self.out, "#{id}={};", body.as_ref());
        id
    }
    pub(crate) fn len(&self, m: f64) -> String {
        fmt(m * self.k)
    }
    pub(crate) fn point3(&mut self, p: [f64; 3]) -> u32 {
        let b = format!(
            "IFCCARTESIANPOINT(({},{},{}))",
            self.len(p[0]),
            self.len(p[1]),
            self.len(p[2])
        );
        self.add(b)
    }
    pub(crate) fn placement(&mut self, z: f64) -> u32 {
        let p = self.point3([self.origin[0], self.origin[1], z]);
        let ax = self.add(format!("IFCAXIS2PLACEMENT3D(#{p},$,$)"));
        self.add(format!("IFCLOCALPLACEMENT($,#{ax})"))
    }
    pub(crate) fn profile(&mut self, pts: &[[f64; 2]]) -> u32 {
        let mut ids = Vec::new();
        for p in pts.iter().chain(std::iter::once(&pts[0])) {
            let b = format!("IFCCARTESIANPOINT(({},{}))", self.len(p[0]), self.len(p[1]));
            ids.push(format!("#{}", self.add(b)));
        }
        let pl = self.add(format!("IFCPOLYLINE(({}))", ids.join(",")));
        self.add(format!("IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#{pl})"))
    }
    /// Extrusion of `pts` (plan, metres) from z0 up by `depth`, as a product shape.
    pub(crate) fn extrusion(&mut self, ctx: u32, pts: &[[f64; 2]], z0: f64, depth: f64) -> u32 {
        let prof = self.profile(pts);
        let o = self.point3([0.0, 0.0, z0]);
        let pos = self.add(format!("IFCAXIS2PLACEMENT3D(#{o},$,$)"));
        self.extruded(ctx, prof, pos, depth)
    }
    /// A vertical profile `pts` extruded sideways by `depth` (m): the profile's plane
    /// placed at `at` with local z along `axis` and local x along `ref_dir` (IFC
    /// direction ratios, e.g. `(1.,0.,0.)`).
    pub(crate) fn side_extrusion(
        &mut self,
        ctx: u32,
        pts: &[[f64; 2]],
        at: [f64; 3],
        axes: [&str; 2],
        depth: f64,
    ) -> u32 {
        let prof = self.profile(pts);
        let o = self.point3(at);
        let [axis, ref_dir] = axes;
        let ax = self.add(format!("IFCDIRECTION({axis})"));
        let rd = self.add(format!("IFCDIRECTION({ref_dir})"));
        let pos = self.add(format!("IFCAXIS2PLACEMENT3D(#{o},#{ax},#{rd})"));
        self.extruded(ctx, prof, pos, depth)
    }
    /// Profile `prof` placed at `pos` and extruded along the placement's z by `depth`
    /// (m), as a product shape.
    fn extruded(&mut self, ctx: u32, prof: u32, pos: u32, depth: f64) -> u32 {
        let dir = self.add("IFCDIRECTION((0.,0.,1.))");
        let solid = self.add(format!(
            "IFCEXTRUDEDAREASOLID(#{prof},#{pos},#{dir},{})",
            self.len(depth)
        ));
        self.body(ctx, solid, "SweptSolid")
    }
    /// Units, representation contexts, the project and the optional map conversion: the
    /// records every file starts with.
    pub(crate) fn project(&mut self, unit: Unit, map_conversion: Option<&MapConv>) -> ProjectIds {
        let len_prefix = match unit {
            Unit::Metre => "$",
            Unit::Millimetre => ".MILLI.",
        };
        let lu = self.add(format!("IFCSIUNIT(*,.LENGTHUNIT.,{len_prefix},.METRE.)"));
        let au = self.add("IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.)");
        let vu = self.add("IFCSIUNIT(*,.VOLUMEUNIT.,$,.CUBIC_METRE.)");
        let pu = self.add("IFCSIUNIT(*,.PLANEANGLEUNIT.,$,.RADIAN.)");
        let ua = self.add(format!("IFCUNITASSIGNMENT((#{lu},#{au},#{vu},#{pu}))"));
        let o = self.point3([0.0, 0.0, 0.0]);
        let wcs = self.add(format!("IFCAXIS2PLACEMENT3D(#{o},$,$)"));
        let ctx = self.add(format!(
            "IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#{wcs},$)"
        ));
        let body_ctx = self.add(format!(
            "IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,#{ctx},$,.MODEL_VIEW.,$)"
        ));
        let project = self.add(format!(
            "IFCPROJECT('{}',$,'zhishen test project',$,$,$,$,(#{ctx}),#{ua})",
            guid(9_000)
        ));
        if let Some(mc) = map_conversion {
            let map_unit = match mc.map_unit {
                Some(Unit::Metre) => {
                    format!("#{}", self.add("IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.)"))
                }
                Some(Unit::Millimetre) => {
                    format!("#{}", self.add("IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.)"))
                }
                None => "$".into(),
            };
            let crs = self.add(format!(
                "IFCPROJECTEDCRS('EPSG:{}','test CRS','CGCS2000',$,$,$,{map_unit})",
                mc.epsg
            ));
            let (s, c) = mc.rotation_deg.to_radians().sin_cos();
            self.add(format!(
                "IFCMAPCONVERSION(#{ctx},#{crs},{},{},{},{},{},1.)",
                fmt(mc.eastings),
                fmt(mc.northings),
                fmt(mc.height),
                fmt(c),
                fmt(s)
            ));
        }
        ProjectIds { body_ctx, project }
    }
    pub(crate) fn body(&mut self, ctx: u32, item: u32, kind: &str) -> u32 {
        let rep = self.add(format!(
            "IFCSHAPEREPRESENTATION(#{ctx},'Body','{kind}',(#{item}))"
        ));
        self.add(format!("IFCPRODUCTDEFINITIONSHAPE($,$,(#{rep}))"))
    }
}

pub(crate) fn fmt(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') {
        s.replace("e", "E")
    } else {
        format!("{s}.")
    }
}

pub(crate) fn guid(n: u32) -> String {
    // 22 characters from the IFC base-64 alphabet; unique per entity number.
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$";
    let mut s = String::from("3zhishen");
    let mut x = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..14 {
        s.push(A[(x % 64) as usize] as char);
        x /= 64;
    }
    s
}

/// [min x, min y, max x, max y] of an outline.
pub(crate) fn bounds(fp: &[[f64; 2]]) -> [f64; 4] {
    fp.iter()
        .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        })
}

/// Offsets a CCW polygon edge inwards by `t` to make a wall rectangle.
pub(crate) fn wall_rect(a: [f64; 2], b: [f64; 2], t: f64) -> Vec<[f64; 2]> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l = (dx * dx + dy * dy).sqrt();
    let (nx, ny) = (-dy / l * t, dx / l * t); // left normal = inside for CCW
    vec![a, b, [b[0] + nx, b[1] + ny], [a[0] + nx, a[1] + ny]]
}

/// A wedge of terrain 5 m beyond the footprint on every side whose top surface runs
/// from `slope[0]` at the footprint's smallest x to `slope[1]` at its largest, planar.
fn write_terrain(w: &mut W, body_ctx: u32, site: u32, fp: &[[f64; 2]], slope: [f64; 2]) {
    let [x0, y0, x1, y1] = bounds(fp);
    let z = |x: f64| slope[0] + (slope[1] - slope[0]) * (x - x0) / (x1 - x0);
    let (xa, xb) = (x0 - 5.0, x1 + 5.0);
    let bottom = z(xa).min(z(xb)) - 1.0;
    // Profile in the x-z plane, extruded along +y: local z = +y, local x = -x, so the
    // profile's (u, v) is (-x, z).
    let shape = w.side_extrusion(
        body_ctx,
        &[[-xa, bottom], [-xa, z(xa)], [-xb, z(xb)], [-xb, bottom]],
        [0.0, y0 - 5.0, 0.0],
        ["(0.,1.,0.)", "(-1.,0.,0.)"],
        y1 - y0 + 10.0,
    );
    let pl = w.placement(0.0);
    let t = w.add(format!(
        "IFCGEOGRAPHICELEMENT('{}',$,'Terrain',$,$,#{pl},#{shape},$,.TERRAIN.)",
        guid(9_010)
    ));
    w.add(format!(
        "IFCRELCONTAINEDINSPATIALSTRUCTURE('{}',$,$,$,(#{t}),#{site})",
        guid(9_011)
    ));
}

/// One past the largest STEP id of `text`: where records added to it start.
pub fn next_id(text: &str) -> u32 {
    (text.lines())
        .filter_map(|l| l.strip_prefix('#')?.split('=').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1
}

/// The id of the first record whose line contains `needle` (panics without one: for
/// tests that edit a file they wrote).
pub fn id_of(text: &str, needle: &str) -> u32 {
    let line = (text.lines().find(|l| l.contains(needle)))
        .unwrap_or_else(|| panic!("no record contains {needle}"));
    line[1..line.find('=').unwrap()].parse().unwrap()
}

/// `text` with `records` (their bodies, `IFCWALL(...)`) added as `#next_id()...`
/// at the end of its DATA section.
pub fn with_records(text: &str, records: &[String]) -> String {
    let next = next_id(text);
    let added: String = (records.iter().enumerate())
        .map(|(k, r)| format!("#{}={r};\n", next + k as u32))
        .collect();
    let end = text.rfind("ENDSEC;").expect("a DATA section");
    format!("{}{added}{}", &text[..end], &text[end..])
}

/// Writes the building as an IFC4 file.
pub fn write_ifc4(spec: &BuildingSpec) -> String {
    let mut w = W::new(spec.unit, spec.origin);
    let (body_ctx, building) = spatial_root(&mut w, spec);
    let mut storey_ids = Vec::new();
    for k in 0..spec.basements + spec.storeys {
        storey_ids.push(write_storey(&mut w, spec, body_ctx, k));
    }
    let list: Vec<String> = storey_ids.iter().map(|c| format!("#{c}")).collect();
    w.add(format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{building},({}))",
        guid(9_007),
        list.join(",")
    ));
    file(spec.unit, &w.out)
}

/// Project, site (with its terrain), building (with its occupancy); returns the body
/// context and the building.
fn spatial_root(w: &mut W, spec: &BuildingSpec) -> (u32, u32) {
    let ProjectIds { body_ctx, project } = w.project(spec.unit, spec.map_conversion.as_ref());
    let site_pl = w.placement(0.0);
    let site = w.add(format!(
        "IFCSITE('{}',$,'Site',$,$,#{site_pl},$,$,.ELEMENT.,$,$,$,$,$)",
        guid(9_001)
    ));
    let terrain = spec
        .terrain_m
        .map(|t| w.len(t))
        .unwrap_or_else(|| "$".into());
    let bld_pl = w.placement(0.0);
    let building = w.add(format!(
        "IFCBUILDING('{}',$,'Building',$,$,#{bld_pl},$,$,.ELEMENT.,$,{terrain},$)",
        guid(9_002)
    ));
    w.add(format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{project},(#{site}))",
        guid(9_003)
    ));
    w.add(format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{site},(#{building}))",
        guid(9_004)
    ));
    if let Some(occ) = &spec.occupancy {
        let p = w.add(format!(
            "IFCPROPERTYSINGLEVALUE('OccupancyType',$,IFCLABEL('{occ}'),$)"
        ));
        let ps = w.add(format!(
            "IFCPROPERTYSET('{}',$,'Pset_BuildingCommon',$,(#{p}))",
            guid(9_005)
        ));
        w.add(format!(
            "IFCRELDEFINESBYPROPERTIES('{}',$,$,$,(#{building}),#{ps})",
            guid(9_006)
        ));
    }
    if let Some(slope) = spec.terrain_slope {
        write_terrain(w, body_ctx, site, &spec.footprint, slope);
    }
    (body_ctx, building)
}

/// Storey `k` (basements first): its floor slab, outer walls, the roof on the top one,
/// its space; returns the storey.
fn write_storey(w: &mut W, spec: &BuildingSpec, body_ctx: u32, k: usize) -> u32 {
    let h = spec.storey_height_m;
    let fp = &spec.footprint;
    let level = k as f64 - spec.basements as f64;
    let z = level * h;
    let pl = w.placement(z);
    let name = if level < 0.0 {
        format!("B{}", -level as i64)
    } else {
        format!("F{}", level as i64 + 1)
    };
    let st = w.add(format!(
        "IFCBUILDINGSTOREY('{}',$,'{name}',$,$,#{pl},$,$,.ELEMENT.,{})",
        guid(10_000 + k as u32),
        w.len(z)
    ));
    let mut contained = Vec::new();
    // Floor slab: top at the storey elevation, 0.2 m thick.
    if spec.floor_slabs {
        let shape = w.extrusion(body_ctx, fp, z - 0.2, 0.2);
        let slab_pl = w.placement(0.0);
        contained.push(w.add(format!(
            "IFCSLAB('{}',$,'Floor {name}',$,$,#{slab_pl},#{shape},$,.FLOOR.)",
            guid(20_000 + k as u32)
        )));
    }
    for (i, a) in fp.iter().enumerate() {
        let b = fp[(i + 1) % fp.len()];
        let rect = wall_rect(*a, b, spec.wall_thickness_m);
        let shape = w.extrusion(body_ctx, &rect, z, h);
        let wpl = w.placement(0.0);
        contained.push(w.add(format!(
            "IFCWALL('{}',$,'Wall {name}-{i}',$,$,#{wpl},#{shape},$,.STANDARD.)",
            guid(30_000 + (k * 100 + i) as u32)
        )));
    }
    if k + 1 == spec.basements + spec.storeys {
        contained.extend(write_roof(w, spec, body_ctx, z + h));
    }
    if spec.spaces {
        let t = spec.wall_thickness_m;
        let [x0, y0, x1, y1] = bounds(fp);
        let room = [
            [x0 + t, y0 + t],
            [x1 - t, y0 + t],
            [x1 - t, y1 - t],
            [x0 + t, y1 - t],
        ];
        let shape = w.extrusion(body_ctx, &room, z, h - 0.2);
        let spl = w.placement(0.0);
        let sp = w.add(format!(
            "IFCSPACE('{}',$,'R{k}','Room',$,#{spl},#{shape},'Room',.ELEMENT.,.INTERNAL.,$)",
            guid(60_000 + k as u32)
        ));
        w.add(format!(
            "IFCRELAGGREGATES('{}',$,$,$,#{st},(#{sp}))",
            guid(61_000 + k as u32)
        ));
    }
    let list: Vec<String> = contained.iter().map(|c| format!("#{c}")).collect();
    w.add(format!(
        "IFCRELCONTAINEDINSPATIALSTRUCTURE('{}',$,$,$,({}),#{st})",
        guid(50_000 + k as u32),
        list.join(",")
    ));
    st
}

/// The roof on the top storey, from `top` up: a flat slab with its parapets, or a gable.
fn write_roof(w: &mut W, spec: &BuildingSpec, body_ctx: u32, top: f64) -> Vec<u32> {
    let fp = &spec.footprint;
    let mut out = Vec::new();
    match spec.roof {
        Roof::Flat { parapet_m } => {
            let shape = w.extrusion(body_ctx, fp, top, 0.2);
            let rpl = w.placement(0.0);
            out.push(w.add(format!(
                "IFCSLAB('{}',$,'Roof slab',$,$,#{rpl},#{shape},$,.ROOF.)",
                guid(40_000)
            )));
            if parapet_m > 0.0 {
                for (i, a) in fp.iter().enumerate() {
                    let b = fp[(i + 1) % fp.len()];
                    let rect = wall_rect(*a, b, spec.wall_thickness_m);
                    let shape = w.extrusion(body_ctx, &rect, top + 0.2, parapet_m);
                    let ppl = w.placement(0.0);
                    out.push(w.add(format!(
                        "IFCWALL('{}',$,'Parapet {i}',$,$,#{ppl},#{shape},$,.PARAPET.)",
                        guid(41_000 + i as u32)
                    )));
                }
            }
        }
        Roof::Gable { rise_m } => {
            // Triangle in the y-z plane extruded along x (rectangular footprint assumed).
            let [x0, y0, x1, y1] = bounds(fp);
            let tri = [[y0, 0.0], [y1, 0.0], [(y0 + y1) / 2.0, rise_m]];
            let shape = w.side_extrusion(
                body_ctx,
                &tri,
                [x0, 0.0, top],
                ["(1.,0.,0.)", "(0.,1.,0.)"],
                x1 - x0,
            );
            let rpl = w.placement(0.0);
            out.push(w.add(format!(
                "IFCROOF('{}',$,'Gable roof',$,$,#{rpl},#{shape},$,.GABLE_ROOF.)",
                guid(40_001)
            )));
        }
        Roof::None => {}
    }
    out
}

/// The whole Part 21 text around the DATA records `data`.
pub(crate) fn file(unit: Unit, data: &str) -> String {
    format!("{}{data}{FILE_TAIL}", file_head(unit))
}

/// Everything before the first DATA record.
pub(crate) fn file_head(unit: Unit) -> String {
    let unit_name = match unit {
        Unit::Metre => "metre",
        Unit::Millimetre => "millimetre",
    };
    format!(
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [ReferenceView]'),'2;1');\n\
         FILE_NAME('test.ifc','2026-01-01T00:00:00',('zhishen'),('zhishen'),'zhishen testkit','zhishen testkit ({unit_name})','');\n\
         FILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n"
    )
}

/// Everything after the last DATA record.
pub(crate) const FILE_TAIL: &str = "ENDSEC;\nEND-ISO-10303-21;\n";

/// An R12 DXF with one closed POLYLINE per ring on a layer whose name is given as
/// raw bytes (e.g. GBK), declared as code page ANSI_936 the way Chinese CAD writes it.
pub fn r12_dxf(layer: &[u8], rings: &[Vec<[f64; 2]>]) -> Vec<u8> {
    let entities: Vec<DxfEntity> = rings
        .iter()
        .map(|r| DxfEntity::Polyline {
            layer,
            points: r,
            closed: true,
        })
        .collect();
    dxf_entities(&entities)
}

/// One entity of [`dxf_entities`]; names and texts are raw bytes (GBK for Chinese).
pub enum DxfEntity<'a> {
    /// A POLYLINE, open (a road red line) or closed (an area).
    Polyline {
        layer: &'a [u8],
        points: &'a [[f64; 2]],
        closed: bool,
    },
    /// A TEXT at `at` with the text height `height`.
    Text {
        layer: &'a [u8],
        at: [f64; 2],
        height: f64,
        text: &'a [u8],
    },
    /// An MTEXT (R13+, which GDAL's reader accepts in an R12 file too).
    MText {
        layer: &'a [u8],
        at: [f64; 2],
        height: f64,
        text: &'a [u8],
    },
}

/// A DXF of `entities`, declared as code page ANSI_936 the way Chinese CAD writes it.
pub fn dxf_entities(entities: &[DxfEntity<'_>]) -> Vec<u8> {
    let mut dxf: Vec<u8> = Vec::new();
    let mut put = |code: &str, value: &[u8]| {
        dxf.extend_from_slice(code.as_bytes());
        dxf.push(b'\n');
        dxf.extend_from_slice(value);
        dxf.push(b'\n');
    };
    for (c, v) in [
        ("0", "SECTION"),
        ("2", "HEADER"),
        ("9", "$ACADVER"),
        ("1", "AC1009"),
        ("9", "$DWGCODEPAGE"),
        ("3", "ANSI_936"),
        ("0", "ENDSEC"),
        ("0", "SECTION"),
        ("2", "ENTITIES"),
    ] {
        put(c, v.as_bytes());
    }
    for e in entities {
        match e {
            DxfEntity::Polyline {
                layer,
                points,
                closed,
            } => {
                put("0", b"POLYLINE");
                put("8", layer);
                put("66", b"1");
                put("70", if *closed { b"1" } else { b"0" });
                for p in *points {
                    put("0", b"VERTEX");
                    put("8", layer);
                    put("10", format!("{:.3}", p[0]).as_bytes());
                    put("20", format!("{:.3}", p[1]).as_bytes());
                    put("30", b"0.0");
                }
                put("0", b"SEQEND");
            }
            DxfEntity::Text {
                layer,
                at,
                height,
                text,
            }
            | DxfEntity::MText {
                layer,
                at,
                height,
                text,
            } => {
                let name: &[u8] = match e {
                    DxfEntity::Text { .. } => b"TEXT",
                    _ => b"MTEXT",
                };
                put("0", name);
                put("8", layer);
                put("10", format!("{:.3}", at[0]).as_bytes());
                put("20", format!("{:.3}", at[1]).as_bytes());
                put("30", b"0.0");
                put("40", format!("{height:.3}").as_bytes());
                put("1", text);
            }
        }
    }
    for (c, v) in [("0", "ENDSEC"), ("0", "EOF")] {
        put(c, v.as_bytes());
    }
    dxf
}
