//! Large models 大体量模型 of a requested size, for benchmarks and scale tests.
//!
//! Real planning submissions are 20–300 MB, and committing such files is not an option.
//! This writes them instead: one georeferenced IFC4 building of rectangular storeys
//! whose floors are tiled with the element kinds that make real exports slow — Revit's
//! faceted-brep furniture and MEP (`IfcFacetedBrep`, `IfcClosedShell`, `IfcPolyLoop`),
//! walls with openings (`IfcOpeningElement` + `IfcRelVoidsElement`), mapped items
//! (`IfcMappedItem` of one `IfcRepresentationMap`), extrusions of circles and of
//! composite curves with arcs, and boolean clipping as Tekla and Renga write it
//! (`IfcBooleanClippingResult` with `IfcHalfSpaceSolid` and
//! `IfcPolygonalBoundedHalfSpace`). Tiles are added until the file reaches the requested
//! size; every tile lies inside the outer walls and under the next floor slab, so the
//! building facts (storeys, elevations, height, footprint) are the same at every size
//! and known by construction ([`CorpusFacts`]).
//!
//! Output is streamed: the text is handed to the writer every megabyte or so, so a
//! 300 MB model never sits in memory.

use crate::{file_head, guid, wall_rect, MapConv, ProjectIds, Unit, FILE_TAIL, W};
use std::io::{self, Write};

/// Building width along x (m).
pub const WIDTH_M: f64 = 48.0;
/// Building depth along y (m).
pub const DEPTH_M: f64 = 32.0;
/// Floor and roof slab thickness (m); a floor slab's top is at its storey's elevation.
pub const SLAB_M: f64 = 0.2;
/// Outer wall thickness, inside the outline (m).
pub const WALL_M: f64 = 0.2;
/// Side of one tile's square cell (m).
const CELL_M: f64 = 4.0;
/// Cells per storey along x and y, starting 1 m inside the outline.
const CELLS: (usize, usize) = (11, 7);
/// Text is handed to the writer once this much has accumulated.
const FLUSH_BYTES: usize = 1 << 20;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusSpec {
    /// Stop adding tiles once the file has reached about this size.
    pub target_bytes: u64,
    pub storeys: usize,
    pub storey_h: f64,
    pub unit: Unit,
    /// Give each tile's faceted breps and clipped solids their own dimensions (by
    /// whole millimetres, inside the same cell) so that no two are alike, as in a real
    /// export where every wall join differs; otherwise every tile repeats the same
    /// items and a mesher's item cache hits on all but the first.
    pub unique: bool,
    /// Make the chair every mapped item instantiates a heavy family (80 faceted
    /// 24-sided rods besides the six boxes, about 7,400 triangles), as furniture and fittings families
    /// are in real Revit exports: a few bytes an occurrence, thousands of triangles
    /// each, so the meshes outweigh the file many times over.
    pub heavy_maps: bool,
}

impl CorpusSpec {
    /// Six storeys of 4 m in millimetres (as Revit exports), of about `mb` × 10⁶ bytes.
    pub fn of_mb(mb: f64) -> CorpusSpec {
        CorpusSpec {
            target_bytes: (mb.max(0.0) * 1e6) as u64,
            storeys: 6,
            storey_h: 4.0,
            unit: Unit::Millimetre,
            unique: false,
            heavy_maps: false,
        }
    }
}

/// What the written model is, by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusFacts {
    pub bytes: u64,
    pub storeys: usize,
    /// Storey elevations, lowest first (m).
    pub elevations_m: Vec<f64>,
    /// Top of the roof slab above ±0.00, which is the ground (m).
    pub height_m: f64,
    /// The outline WIDTH_M × DEPTH_M (m²).
    pub footprint_m2: f64,
    /// Tiles written over all storeys.
    pub tiles: usize,
    /// Elements written (IfcOpeningElement and IfcSpace not counted).
    pub elements: usize,
}

/// The map conversion every corpus model carries (CGCS2000 / 3-degree GK CM 114E).
pub fn map_conversion() -> MapConv {
    MapConv {
        eastings: 500_000.0,
        northings: 2_500_000.0,
        height: 0.0,
        rotation_deg: 0.0,
        epsg: 4547,
        map_unit: Some(Unit::Metre),
    }
}

/// Writes a corpus model to `out` and says what it is.
pub fn write_corpus<O: Write>(spec: &CorpusSpec, out: O) -> io::Result<CorpusFacts> {
    let mut g = Gen::new(spec, out)?;
    let ProjectIds { body_ctx, project } = g.w.project(spec.unit, Some(&map_conversion()));
    g.ctx = body_ctx;
    g.chair = g.chair_map();
    let site_pl = g.w.placement(0.0);
    let gid = g.guid();
    let site = g.add(format!(
        "IFCSITE('{gid}',$,'Site',$,$,#{site_pl},$,$,.ELEMENT.,$,$,$,$,$)"
    ));
    let bld_pl = g.w.placement(0.0);
    let gid = g.guid();
    let building = g.add(format!(
        "IFCBUILDING('{gid}',$,'Corpus building',$,$,#{bld_pl},$,$,.ELEMENT.,$,$,$)"
    ));
    let rel = format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{project},(#{site}))",
        g.guid()
    );
    g.add(rel);
    let rel = format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{site},(#{building}))",
        g.guid()
    );
    g.add(rel);
    let n = spec.storeys.max(1);
    let fixed = g.size() + 4096;
    let per_storey = spec.target_bytes.saturating_sub(fixed) / n as u64;
    let mut storeys = Vec::new();
    let mut elevations_m = Vec::new();
    for k in 0..n {
        let z = k as f64 * spec.storey_h;
        let level = Level {
            k,
            z,
            h: spec.storey_h,
            roof: k + 1 == n,
            until: fixed + per_storey * (k as u64 + 1),
        };
        storeys.push(format!("#{}", g.storey(&level)?));
        elevations_m.push(z);
    }
    let rel = format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{building},({}))",
        g.guid(),
        storeys.join(",")
    );
    g.add(rel);
    g.w.out.push_str(FILE_TAIL);
    g.flush()?;
    g.out.flush()?;
    Ok(CorpusFacts {
        bytes: g.written,
        storeys: n,
        elevations_m,
        height_m: n as f64 * spec.storey_h + SLAB_M,
        footprint_m2: WIDTH_M * DEPTH_M,
        tiles: g.tiles,
        elements: g.elements,
    })
}

/// One storey to write: index, elevation, height, whether it carries the roof, and the
/// file size its tiles fill up to.
struct Level {
    k: usize,
    z: f64,
    h: f64,
    roof: bool,
    until: u64,
}

/// The streaming writer: the shared entity writer, what has gone out, and counters.
struct Gen<O: Write> {
    w: W,
    out: O,
    written: u64,
    ctx: u32,
    chair: u32,
    guids: u32,
    tiles: usize,
    elements: usize,
    unique: bool,
    heavy_maps: bool,
}

fn outline() -> Vec<[f64; 2]> {
    vec![
        [0.0, 0.0],
        [WIDTH_M, 0.0],
        [WIDTH_M, DEPTH_M],
        [0.0, DEPTH_M],
    ]
}

impl<O: Write> Gen<O> {
    fn new(spec: &CorpusSpec, mut out: O) -> io::Result<Gen<O>> {
        let unit = spec.unit;
        let head = file_head(unit);
        out.write_all(head.as_bytes())?;
        Ok(Gen {
            w: W::new(unit, [0.0, 0.0]),
            out,
            written: head.len() as u64,
            ctx: 0,
            chair: 0,
            guids: 0,
            tiles: 0,
            elements: 0,
            unique: spec.unique,
            heavy_maps: spec.heavy_maps,
        })
    }
    fn add(&mut self, body: impl AsRef<str>) -> u32 {
        self.w.add(body)
    }
    fn guid(&mut self) -> String {
        self.guids += 1;
        guid(self.guids)
    }
    fn size(&self) -> u64 {
        self.written + self.w.out.len() as u64
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(self.w.out.as_bytes())?;
        self.written += self.w.out.len() as u64;
        self.w.out.clear();
        Ok(())
    }
    fn len(&self, m: f64) -> String {
        self.w.len(m)
    }
    fn pt2(&mut self, p: [f64; 2]) -> u32 {
        let b = format!("IFCCARTESIANPOINT(({},{}))", self.len(p[0]), self.len(p[1]));
        self.add(b)
    }
    fn dir(&mut self, d: [f64; 3]) -> u32 {
        self.add(format!(
            "IFCDIRECTION(({},{},{}))",
            crate::fmt(d[0]),
            crate::fmt(d[1]),
            crate::fmt(d[2])
        ))
    }
    /// IfcAxis2Placement3D at `p`, with optional axis and reference direction.
    fn axes(&mut self, p: [f64; 3], axis: Option<[f64; 3]>, refd: Option<[f64; 3]>) -> u32 {
        let o = self.w.point3(p);
        let a = axis.map_or("$".into(), |d| format!("#{}", self.dir(d)));
        let r = refd.map_or("$".into(), |d| format!("#{}", self.dir(d)));
        self.add(format!("IFCAXIS2PLACEMENT3D(#{o},{a},{r})"))
    }
    /// IfcLocalPlacement at `p` relative to placement `rel`.
    fn local(&mut self, rel: u32, p: [f64; 3]) -> u32 {
        let ax = self.axes(p, None, None);
        self.add(format!("IFCLOCALPLACEMENT(#{rel},#{ax})"))
    }
    /// Product shape of several items in one Body representation.
    fn body(&mut self, items: &[u32], kind: &str) -> u32 {
        let list: Vec<String> = items.iter().map(|i| format!("#{i}")).collect();
        let rep = self.add(format!(
            "IFCSHAPEREPRESENTATION(#{},'Body','{kind}',({}))",
            self.ctx,
            list.join(",")
        ));
        self.add(format!("IFCPRODUCTDEFINITIONSHAPE($,$,(#{rep}))"))
    }
    /// An element record: `CLASS(GlobalId,$,Name,$,$,placement,shape,$,.PREDEFINED.)`.
    fn element(&mut self, class: &str, name: &str, pl: u32, shape: u32, pre: &str) -> u32 {
        self.elements += 1;
        let g = self.guid();
        self.add(format!(
            "{class}('{g}',$,'{name}',$,$,#{pl},#{shape},$,.{pre}.)"
        ))
    }
    /// An IfcFacetedBrep over `pts` with `faces` (indices, counter-clockwise seen from
    /// outside), points shared between faces as Revit writes them.
    fn brep(&mut self, pts: &[[f64; 3]], faces: &[Vec<usize>]) -> u32 {
        let ids: Vec<u32> = pts.iter().map(|p| self.w.point3(*p)).collect();
        let mut face_ids = Vec::with_capacity(faces.len());
        for f in faces {
            let list: Vec<String> = f.iter().map(|&i| format!("#{}", ids[i])).collect();
            let l = self.add(format!("IFCPOLYLOOP(({}))", list.join(",")));
            let b = self.add(format!("IFCFACEOUTERBOUND(#{l},.T.)"));
            face_ids.push(format!("#{}", self.add(format!("IFCFACE((#{b}))"))));
        }
        let shell = self.add(format!("IFCCLOSEDSHELL(({}))", face_ids.join(",")));
        self.add(format!("IFCFACETEDBREP(#{shell})"))
    }
    fn box_brep(&mut self, lo: [f64; 3], hi: [f64; 3]) -> u32 {
        let (pts, faces) = box_mesh(lo, hi);
        self.brep(&pts, &faces)
    }
}

/// The 8 corners and 6 outward faces of an axis-aligned box.
fn box_mesh(lo: [f64; 3], hi: [f64; 3]) -> (Vec<[f64; 3]>, Vec<Vec<usize>>) {
    let c = |i: usize| {
        [
            if i & 1 == 0 { lo[0] } else { hi[0] },
            if i & 2 == 0 { lo[1] } else { hi[1] },
            if i & 4 == 0 { lo[2] } else { hi[2] },
        ]
    };
    let pts = (0..8).map(c).collect();
    let faces = vec![
        vec![0, 2, 3, 1],
        vec![4, 5, 7, 6],
        vec![0, 1, 5, 4],
        vec![2, 6, 7, 3],
        vec![0, 4, 6, 2],
        vec![1, 3, 7, 5],
    ];
    (pts, faces)
}

/// A prism along x from `x0` to `x1` over a regular `n`-gon of radius `r` around
/// (`y`, `z`): a pipe as Revit exports it, sides and two caps.
fn pipe_mesh(x: [f64; 2], y: f64, z: f64, r: f64, n: usize) -> (Vec<[f64; 3]>, Vec<Vec<usize>>) {
    let mut pts = Vec::with_capacity(2 * n);
    for &xe in &x {
        for i in 0..n {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            pts.push([xe, y + r * a.cos(), z + r * a.sin()]);
        }
    }
    let mut faces: Vec<Vec<usize>> = (0..n)
        .map(|i| vec![i, (i + 1) % n, n + (i + 1) % n, n + i])
        .collect();
    faces.push((0..n).rev().collect());
    faces.push((n..2 * n).collect());
    (pts, faces)
}

impl<O: Write> Gen<O> {
    /// The chair every mapped item instantiates: seat, back and four legs.
    fn chair_map(&mut self) -> u32 {
        let mut items = Vec::new();
        for (lo, hi) in chair_boxes() {
            items.push(format!("#{}", self.box_brep(lo, hi)));
        }
        if self.heavy_maps {
            // Rods under the seat, within the chair's own box.
            for k in 0..80 {
                let y = -0.2 + 0.005 * k as f64;
                let (pts, faces) = pipe_mesh([-0.2, 0.2], y, 0.30, 0.0015, 24);
                items.push(format!("#{}", self.brep(&pts, &faces)));
            }
        }
        let rep = self.add(format!(
            "IFCSHAPEREPRESENTATION(#{},'Body','Brep',({}))",
            self.ctx,
            items.join(",")
        ));
        let origin = self.axes([0.0, 0.0, 0.0], None, None);
        self.add(format!("IFCREPRESENTATIONMAP(#{origin},#{rep})"))
    }

    /// Floor slab, outer walls, the roof on the top storey, one space, and tiles until
    /// the file reaches `level.until`. Returns the storey's id.
    fn storey(&mut self, level: &Level) -> io::Result<u32> {
        let (k, z, h) = (level.k, level.z, level.h);
        let pl = self.w.placement(z);
        let (gid, elev) = (self.guid(), self.len(z));
        let st = self.add(format!(
            "IFCBUILDINGSTOREY('{gid}',$,'F{}',$,$,#{pl},$,$,.ELEMENT.,{elev})",
            k + 1
        ));
        let fp = outline();
        let mut contained = Vec::new();
        let slab = self.w.extrusion(self.ctx, &fp, z - SLAB_M, SLAB_M);
        let spl = self.w.placement(0.0);
        contained.push(self.element("IFCSLAB", "Floor", spl, slab, "FLOOR"));
        for (i, a) in fp.iter().enumerate() {
            let shape = self
                .w
                .extrusion(self.ctx, &wall_rect(*a, fp[(i + 1) % 4], WALL_M), z, h);
            let wpl = self.w.placement(0.0);
            contained.push(self.element("IFCWALL", "Outer wall", wpl, shape, "STANDARD"));
        }
        if level.roof {
            let roof = self.w.extrusion(self.ctx, &fp, z + h, SLAB_M);
            let rpl = self.w.placement(0.0);
            contained.push(self.element("IFCSLAB", "Roof slab", rpl, roof, "ROOF"));
        }
        let room = [
            [WALL_M, WALL_M],
            [WIDTH_M - WALL_M, WALL_M],
            [WIDTH_M - WALL_M, DEPTH_M - WALL_M],
            [WALL_M, DEPTH_M - WALL_M],
        ];
        let shape = self.w.extrusion(self.ctx, &room, z, h - SLAB_M);
        let spl = self.w.placement(0.0);
        let gid = self.guid();
        let space = self.add(format!(
            "IFCSPACE('{gid}',$,'R{}','Open plan',$,#{spl},#{shape},'Office',.ELEMENT.,.INTERNAL.,$)",
            k + 1
        ));
        let rel = format!("IFCRELAGGREGATES('{}',$,$,$,#{st},(#{space}))", self.guid());
        self.add(rel);
        let mut cell = 0;
        while self.size() < level.until {
            let tile = self.tile(pl, cell);
            contained.extend(tile);
            cell += 1;
            if self.w.out.len() >= FLUSH_BYTES {
                self.flush()?;
            }
        }
        let list: Vec<String> = contained.iter().map(|c| format!("#{c}")).collect();
        let rel = format!(
            "IFCRELCONTAINEDINSPATIALSTRUCTURE('{}',$,$,$,({}),#{st})",
            self.guid(),
            list.join(",")
        );
        self.add(rel);
        self.flush()?;
        Ok(st)
    }

    /// One cell of furnishing, MEP and structure, placed relative to the storey; returns
    /// the elements it contains. Cells repeat across the floor, shifted a little each time.
    fn tile(&mut self, storey_pl: u32, n: usize) -> Vec<u32> {
        self.tiles += 1;
        let c = n % (CELLS.0 * CELLS.1);
        let jitter = ((n * 37) % 10) as f64 * 0.02;
        let x = 1.0 + (c % CELLS.0) as f64 * CELL_M + jitter;
        let y = 1.0 + (c / CELLS.0) as f64 * CELL_M;
        let mut out = Vec::new();
        let pl = self.local(storey_pl, [x, y, 0.0]);
        let v = self.variation(n);
        let table = self.table(v);
        out.push(self.element("IFCFURNITURE", "Table", pl, table, "TABLE"));
        for (i, (sides, yy, zz)) in [(16, 3.7, 3.3), (12, 3.4, 3.0)].into_iter().enumerate() {
            let (x0, x1) = (0.1 + v[1], 3.9 - v[0]);
            let (pts, faces) = pipe_mesh([x0, x1], yy, zz - v[2], 0.08 + 0.02 * i as f64, sides);
            let b = self.brep(&pts, &faces);
            let shape = self.body(&[b], "Brep");
            let pl = self.local(storey_pl, [x, y, 0.0]);
            out.push(self.element("IFCPIPESEGMENT", "Pipe", pl, shape, "RIGIDSEGMENT"));
        }
        out.extend(self.wall_with_opening(storey_pl, [x, y]));
        for i in 0..4 {
            let pl = self.local(storey_pl, [x, y, 0.0]);
            let shape = self.mapped_chair(i, n);
            out.push(self.element("IFCFURNITURE", "Chair", pl, shape, "CHAIR"));
        }
        out.extend(self.curved(storey_pl, [x, y]));
        out.extend(self.clipped(storey_pl, [x, y], v));
        self.pset(&out, n);
        out
    }

    /// A table of five faceted breps (top and legs), as Revit writes family geometry.
    /// Three offsets (m, whole millimetres under 0.1 m) that together differ for every
    /// tile below a million when `unique`, else none.
    fn variation(&self, n: usize) -> [f64; 3] {
        if !self.unique {
            return [0.0; 3];
        }
        [n % 100, (n / 100) % 100, (n / 10_000) % 100].map(|k| k as f64 * 0.001)
    }

    fn table(&mut self, v: [f64; 3]) -> u32 {
        let top = [2.0 - v[0], 1.4 - v[2], 0.76 + v[1]];
        let mut items = vec![self.box_brep([0.6, 0.6, 0.72], top)];
        for (lx, ly) in [(0.6, 0.6), (1.95, 0.6), (0.6, 1.35), (1.95, 1.35)] {
            items.push(self.box_brep([lx, ly, 0.0], [lx + 0.05, ly + 0.05, 0.72]));
        }
        self.body(&items, "Brep")
    }

    /// A chair instance: the shared map turned by a quarter per `i`, at the table's side.
    fn mapped_chair(&mut self, i: usize, n: usize) -> u32 {
        let a = std::f64::consts::FRAC_PI_2 * ((i + n) % 4) as f64;
        let (s, c) = a.sin_cos();
        let spots = [[0.9, 0.2], [1.7, 0.2], [0.9, 1.8], [1.7, 1.8]];
        let o = self.w.point3([spots[i][0], spots[i][1], 0.0]);
        let ax1 = self.dir([c, s, 0.0]);
        let ax2 = self.dir([-s, c, 0.0]);
        let ax3 = self.dir([0.0, 0.0, 1.0]);
        let op = self.add(format!(
            "IFCCARTESIANTRANSFORMATIONOPERATOR3D(#{ax1},#{ax2},#{o},1.,#{ax3})"
        ));
        let item = self.add(format!("IFCMAPPEDITEM(#{},#{op})", self.chair));
        self.body(&[item], "MappedRepresentation")
    }

    /// A partition wall with a door opening voiding it.
    fn wall_with_opening(&mut self, storey_pl: u32, at: [f64; 2]) -> Vec<u32> {
        let pl = self.local(storey_pl, [at[0], at[1], 0.0]);
        let plan = [[0.2, 2.3], [3.6, 2.3], [3.6, 2.4], [0.2, 2.4]];
        let shape = self.w.extrusion(self.ctx, &plan, 0.0, 3.5);
        let wall = self.element("IFCWALL", "Partition", pl, shape, "PARTITIONING");
        let opl = self.local(pl, [0.0, 0.0, 0.0]);
        let hole = [[1.0, 2.2], [2.0, 2.2], [2.0, 2.5], [1.0, 2.5]];
        let shape = self.w.extrusion(self.ctx, &hole, 0.0, 2.1);
        let g = self.guid();
        let opening = self.add(format!(
            "IFCOPENINGELEMENT('{g}',$,'Door opening',$,$,#{opl},#{shape},$,.OPENING.)"
        ));
        let rel = format!(
            "IFCRELVOIDSELEMENT('{}',$,$,$,#{wall},#{opening})",
            self.guid()
        );
        self.add(rel);
        vec![wall]
    }

    /// A round column (IfcCircleProfileDef) and a counter whose profile is a composite
    /// curve of polylines and a trimmed circle (a rounded end).
    fn curved(&mut self, storey_pl: u32, at: [f64; 2]) -> Vec<u32> {
        let pl = self.local(storey_pl, [at[0], at[1], 0.0]);
        let c = self.pt2([0.3, 0.3]);
        let p2 = self.add(format!("IFCAXIS2PLACEMENT2D(#{c},$)"));
        let prof = self.add(format!(
            "IFCCIRCLEPROFILEDEF(.AREA.,$,#{p2},{})",
            self.len(0.2)
        ));
        let column = self.extrude(prof, 3.5);
        let col = self.element("IFCCOLUMN", "Round column", pl, column, "COLUMN");

        let pts: Vec<u32> = [[0.5, 2.7], [2.5, 2.7], [2.5, 3.5], [0.5, 3.5]]
            .into_iter()
            .map(|p| self.pt2(p))
            .collect();
        let first = self.add(format!("IFCPOLYLINE((#{},#{}))", pts[0], pts[1]));
        let centre = self.pt2([2.5, 3.1]);
        let cpl = self.add(format!("IFCAXIS2PLACEMENT2D(#{centre},$)"));
        let circle = self.add(format!("IFCCIRCLE(#{cpl},{})", self.len(0.4)));
        let arc = self.add(format!(
            "IFCTRIMMEDCURVE(#{circle},(IFCPARAMETERVALUE(-1.5707963267948966)),(IFCPARAMETERVALUE(1.5707963267948966)),.T.,.PARAMETER.)"
        ));
        let last = self.add(format!(
            "IFCPOLYLINE((#{},#{},#{}))",
            pts[2], pts[3], pts[0]
        ));
        let segs: Vec<String> = [first, arc, last]
            .iter()
            .map(|s| {
                format!(
                    "#{}",
                    self.add(format!("IFCCOMPOSITECURVESEGMENT(.CONTINUOUS.,.T.,#{s})"))
                )
            })
            .collect();
        let curve = self.add(format!("IFCCOMPOSITECURVE(({}),.F.)", segs.join(",")));
        let prof = self.add(format!("IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#{curve})"));
        let counter = self.extrude(prof, 0.9);
        let pl = self.local(storey_pl, [at[0], at[1], 0.0]);
        let ctr = self.element("IFCFURNITURE", "Counter", pl, counter, "DESK");
        vec![col, ctr]
    }

    /// Extrusion of `profile` straight up by `depth` from the element's origin.
    fn extrude(&mut self, profile: u32, depth: f64) -> u32 {
        let pos = self.axes([0.0, 0.0, 0.0], None, None);
        let up = self.dir([0.0, 0.0, 1.0]);
        let solid = self.add(format!(
            "IFCEXTRUDEDAREASOLID(#{profile},#{pos},#{up},{})",
            self.len(depth)
        ));
        self.body(&[solid], "SweptSolid")
    }

    /// A beam cut at its end by an inclined IfcHalfSpaceSolid (Tekla), and a wall whose
    /// top is cut down over part of its length by an IfcPolygonalBoundedHalfSpace (Renga).
    fn clipped(&mut self, storey_pl: u32, at: [f64; 2], v: [f64; 3]) -> Vec<u32> {
        let pl = self.local(storey_pl, [at[0], at[1], 0.0]);
        let c = self.pt2([0.0, 0.0]);
        let p2 = self.add(format!("IFCAXIS2PLACEMENT2D(#{c},$)"));
        let prof = self.add(format!(
            "IFCRECTANGLEPROFILEDEF(.AREA.,$,#{p2},{},{})",
            self.len(0.3 - v[2]),
            self.len(0.15)
        ));
        // Profile x is world z, extrusion along world x.
        let pos = self.axes(
            [0.2, 1.0, 3.3],
            Some([1.0, 0.0, 0.0]),
            Some([0.0, 0.0, 1.0]),
        );
        let up = self.dir([0.0, 0.0, 1.0]);
        let solid = self.add(format!(
            "IFCEXTRUDEDAREASOLID(#{prof},#{pos},#{up},{})",
            self.len(3.6 - v[1])
        ));
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let ppos = self.axes([3.5 - v[0], 1.0, 3.3], Some([s, 0.0, s]), None);
        let plane = self.add(format!("IFCPLANE(#{ppos})"));
        let half = self.add(format!("IFCHALFSPACESOLID(#{plane},.F.)"));
        let cut = self.add(format!(
            "IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#{solid},#{half})"
        ));
        let shape = self.body(&[cut], "Clipping");
        let beam = self.element("IFCBEAM", "Beam", pl, shape, "BEAM");

        let pl = self.local(storey_pl, [at[0], at[1], 0.0]);
        let plan = [
            [0.2, 0.2],
            [3.8 - v[2], 0.2],
            [3.8 - v[2], 0.35],
            [0.2, 0.35],
        ];
        let prof = self.w.profile(&plan);
        let pos = self.axes([0.0, 0.0, 0.0], None, None);
        let solid = self.add(format!(
            "IFCEXTRUDEDAREASOLID(#{prof},#{pos},#{up},{})",
            self.len(3.5)
        ));
        let ppos = self.axes([0.0, 0.0, 2.8 - v[0]], Some([0.0, 0.0, 1.0]), None);
        let plane = self.add(format!("IFCPLANE(#{ppos})"));
        let bpos = self.axes([0.0, 0.0, 0.0], None, None);
        let b0 = 2.5 + v[1];
        let ring: Vec<String> = [[b0, 0.0], [4.0, 0.0], [4.0, 0.6], [b0, 0.6], [b0, 0.0]]
            .into_iter()
            .map(|p| format!("#{}", self.pt2(p)))
            .collect();
        let bound = self.add(format!("IFCPOLYLINE(({}))", ring.join(",")));
        let half = self.add(format!(
            "IFCPOLYGONALBOUNDEDHALFSPACE(#{plane},.F.,#{bpos},#{bound})"
        ));
        let cut = self.add(format!(
            "IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#{solid},#{half})"
        ));
        let shape = self.body(&[cut], "Clipping");
        let wall = self.element("IFCWALL", "Joined wall", pl, shape, "STANDARD");
        vec![beam, wall]
    }

    /// One property set shared by a tile's elements, as exporters share common psets.
    fn pset(&mut self, elements: &[u32], n: usize) {
        let a = self.add(format!(
            "IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('tile {n}'),$)"
        ));
        let b = self.add("IFCPROPERTYSINGLEVALUE('IsExternal',$,IFCBOOLEAN(.F.),$)");
        let gid = self.guid();
        let ps = self.add(format!(
            "IFCPROPERTYSET('{gid}',$,'Pset_CorpusCommon',$,(#{a},#{b}))"
        ));
        let list: Vec<String> = elements.iter().map(|e| format!("#{e}")).collect();
        let rel = format!(
            "IFCRELDEFINESBYPROPERTIES('{}',$,$,$,({}),#{ps})",
            self.guid(),
            list.join(",")
        );
        self.add(rel);
    }
}

/// Seat, back and legs of the mapped chair, in its own frame (0.45 m square seat).
fn chair_boxes() -> Vec<([f64; 3], [f64; 3])> {
    let mut b = vec![
        ([-0.225, -0.225, 0.42], [0.225, 0.225, 0.47]),
        ([-0.225, 0.185, 0.47], [0.225, 0.225, 0.9]),
    ];
    for (x, y) in [
        (-0.225, -0.225),
        (0.185, -0.225),
        (-0.225, 0.185),
        (0.185, 0.185),
    ] {
        b.push(([x, y, 0.0], [x + 0.04, y + 0.04, 0.42]));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meshes_are_closed_and_sizes_are_reached() {
        // A box has 8 corners and 6 faces; a 16-sided pipe 32 points, 16 sides + 2 caps.
        let (p, f) = box_mesh([0.0; 3], [1.0; 3]);
        assert_eq!((p.len(), f.len()), (8, 6));
        let (p, f) = pipe_mesh([0.0, 1.0], 0.0, 0.0, 0.1, 16);
        assert_eq!((p.len(), f.len()), (32, 18));
        // Every edge of a closed shell is used once in each direction.
        let mut edges = std::collections::HashSet::new();
        for face in &f {
            for i in 0..face.len() {
                assert!(edges.insert((face[i], face[(i + 1) % face.len()])));
            }
        }
        assert!(edges.iter().all(|(a, b)| edges.contains(&(*b, *a))));

        let mut buf = Vec::new();
        let facts = write_corpus(&CorpusSpec::of_mb(0.5), &mut buf).unwrap();
        assert_eq!(facts.bytes, buf.len() as u64);
        assert!(buf.len() >= 500_000 && buf.len() < 600_000, "{}", buf.len());
        assert_eq!(facts.elevations_m, vec![0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
        assert!((facts.height_m - 24.2).abs() < 1e-12);
        assert_eq!(facts.footprint_m2, 1536.0);
        let text = String::from_utf8(buf).unwrap();
        assert!(text.ends_with("END-ISO-10303-21;\n"));
        assert_eq!(text.matches("IFCBUILDINGSTOREY(").count(), 6);
        assert_eq!(text.matches("IFCRELVOIDSELEMENT(").count(), facts.tiles);
    }
}
