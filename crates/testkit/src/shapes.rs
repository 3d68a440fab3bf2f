//! Building shapes with answers known by construction, for the review-accuracy corpus.
//!
//! `write_ifc4` in the crate root writes one box-shaped building; real projects have
//! basements bigger than their tower, podiums, cantilevers, balconies, rooftop rooms and
//! several buildings per model, and those are where footprint, height and GFA go wrong.
//! Here a [`Scene`] is buildings → storeys → solids, each solid an extruded plan polygon
//! with its IFC class, predefined type, ObjectType and name, written the way the engine
//! reads a model (one IfcSite, IfcBuilding per building with ElevationOfTerrain and
//! Pset_BuildingCommon, storeys with Elevation, elements contained in their storey).
//!
//! Plans are given in *site-local* metres (the test's site frame). A [`Frame`] turns them
//! into model coordinates: the model origin sits at the frame's anchor and model +X is
//! turned `rotation_deg` counter-clockwise from site east, so a placement (explicit, or an
//! IfcMapConversion with the same origin and rotation) puts every variant on the same spot
//! and every expected value is the same for m, mm and rotated files.

use crate::{bounds, file, guid, wall_rect, ProjectIds, Unit, W};

/// A plan point in metres.
pub type Pt = [f64; 2];

/// Floor slabs are this thick, their top at the storey elevation.
pub const SLAB_M: f64 = 0.2;
/// Roof slabs are this thick, on top of the top storey's walls.
pub const ROOF_M: f64 = 0.2;
/// Outer wall thickness, inside the outline (the outline is the outer face).
pub const WALL_M: f64 = 0.2;

/// Counter-clockwise rectangle x0..x1 × y0..y1.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Pt> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

/// Area of a simple polygon (shoelace), for expectations written from the same numbers.
pub fn area(p: &[Pt]) -> f64 {
    let n = p.len();
    (0..n)
        .map(|i| p[i][0] * p[(i + 1) % n][1] - p[(i + 1) % n][0] * p[i][1])
        .sum::<f64>()
        .abs()
        / 2.0
}

/// One extruded element: `plan` (site-local metres, CCW) from `z0` up by `depth`.
#[derive(Debug, Clone, PartialEq)]
pub struct Solid {
    /// IFC entity, e.g. `IfcWall`, `IfcSlab`, `IfcColumn`, `IfcUnitaryEquipment`.
    pub class: &'static str,
    /// PredefinedType without dots, e.g. `FLOOR`, `ROOF`, `PARAPET`, `USERDEFINED`.
    pub predefined: &'static str,
    pub object_type: Option<&'static str>,
    pub name: String,
    pub plan: Vec<Pt>,
    pub z0: f64,
    pub depth: f64,
}

impl Solid {
    pub fn new(class: &'static str, predefined: &'static str, name: &str) -> Solid {
        Solid {
            class,
            predefined,
            object_type: None,
            name: name.into(),
            plan: Vec::new(),
            z0: 0.0,
            depth: 0.0,
        }
    }
    /// The same solid over `plan`, from `z0` to `z1`.
    pub fn at(mut self, plan: Vec<Pt>, z0: f64, z1: f64) -> Solid {
        self.plan = plan;
        self.z0 = z0;
        self.depth = z1 - z0;
        self
    }
}

/// An IfcBuildingStorey and the elements it contains.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub name: String,
    pub elevation: f64,
    pub solids: Vec<Solid>,
}

impl Level {
    pub fn new(name: &str, elevation: f64) -> Level {
        Level {
            name: name.into(),
            elevation,
            solids: Vec::new(),
        }
    }
    /// A storey of `outline`: floor slab (top at the elevation), outer walls `height` high.
    pub fn storey(name: &str, elevation: f64, outline: &[Pt], height: f64) -> Level {
        let mut l = Level::new(name, elevation);
        l.solids
            .push(Solid::new("IfcSlab", "FLOOR", &format!("Floor {name}")).at(
                outline.to_vec(),
                elevation - SLAB_M,
                elevation,
            ));
        l.walls(outline, elevation, elevation + height, "STANDARD");
        l
    }
    /// Walls along every edge of `outline` (outer face on the outline) from z0 to z1.
    pub fn walls(&mut self, outline: &[Pt], z0: f64, z1: f64, predefined: &'static str) {
        for (i, a) in outline.iter().enumerate() {
            let b = outline[(i + 1) % outline.len()];
            let name = format!("{} {}-{i}", wall_word(predefined), self.name);
            self.solids
                .push(Solid::new("IfcWall", predefined, &name).at(
                    wall_rect(*a, b, WALL_M),
                    z0,
                    z1,
                ));
        }
    }
    /// Roof slab over `outline` from `z` up, with a parapet of `parapet_m` (0 = none).
    pub fn roof(&mut self, outline: &[Pt], z: f64, parapet_m: f64) {
        self.solids
            .push(Solid::new("IfcSlab", "ROOF", "Roof slab").at(outline.to_vec(), z, z + ROOF_M));
        if parapet_m > 0.0 {
            self.walls(outline, z + ROOF_M, z + ROOF_M + parapet_m, "PARAPET");
        }
    }
    pub fn with(mut self, s: Solid) -> Level {
        self.solids.push(s);
        self
    }
}

fn wall_word(predefined: &str) -> &'static str {
    if predefined == "PARAPET" {
        "Parapet"
    } else {
        "Wall"
    }
}

/// A cantilevered balcony slab 阳台 (GB/T 50353-2013 3.0.21: half its projection).
pub fn balcony(name: &str, plan: Vec<Pt>, top: f64) -> Solid {
    Solid {
        object_type: Some("BALCONY"),
        ..Solid::new("IfcSlab", "USERDEFINED", &format!("阳台 Balcony {name}"))
    }
    .at(plan, top - 0.15, top)
}

/// A canopy without columns 雨篷 (GB/T 50353-2013 3.0.16: half when it projects ≥ 2.10 m).
pub fn canopy(plan: Vec<Pt>, z0: f64) -> Solid {
    Solid {
        object_type: Some("CANOPY"),
        ..Solid::new("IfcSlab", "USERDEFINED", "雨篷 Canopy")
    }
    .at(plan, z0, z0 + 0.15)
}

/// One IfcBuilding.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub name: String,
    /// Pset_BuildingCommon.OccupancyType.
    pub occupancy: Option<String>,
    /// IfcBuilding.ElevationOfTerrain (m, relative to ±0.00).
    pub terrain_m: Option<f64>,
    pub levels: Vec<Level>,
}

/// A run of identical storeys in a [`Stack`].
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub outline: Vec<Pt>,
    pub storeys: usize,
    pub storey_h: f64,
}

/// Storeys stacked from ±0.00 (F1, F2, …), part after part: a plain tower is one part, a
/// podium + tower 裙房+塔楼 or a set-back tower two, a cantilever a wider upper part. Each
/// part's last storey carries a roof slab over the part's outline; the top one a parapet.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub parts: Vec<Part>,
    pub parapet_m: f64,
}

impl Stack {
    /// One part.
    pub fn tower(outline: Vec<Pt>, storeys: usize, storey_h: f64) -> Stack {
        Stack {
            parts: vec![Part {
                outline,
                storeys,
                storey_h,
            }],
            parapet_m: 0.0,
        }
    }
    /// The same stack with `storeys` more storeys of `outline` on top.
    pub fn then(mut self, outline: Vec<Pt>, storeys: usize, storey_h: f64) -> Stack {
        self.parts.push(Part {
            outline,
            storeys,
            storey_h,
        });
        self
    }
    /// Elevation of the top of the walls of part `i` (its roof slab's underside).
    pub fn part_top(&self, i: usize) -> f64 {
        self.parts[..=i]
            .iter()
            .map(|p| p.storeys as f64 * p.storey_h)
            .sum()
    }
    /// Top of the highest roof slab (parapet excluded).
    pub fn roof_top(&self) -> f64 {
        self.part_top(self.parts.len() - 1) + ROOF_M
    }
    pub fn levels(&self) -> Vec<Level> {
        let mut out = Vec::new();
        let mut z = 0.0;
        for (i, p) in self.parts.iter().enumerate() {
            for _ in 0..p.storeys {
                let name = format!("F{}", out.len() + 1);
                out.push(Level::storey(&name, z, &p.outline, p.storey_h));
                z += p.storey_h;
            }
            let last = i + 1 == self.parts.len();
            let parapet = if last { self.parapet_m } else { 0.0 };
            // A part wholly under the next (a cantilevered upper part) has no roof.
            let covered = !last && covers(&self.parts[i + 1].outline, &p.outline);
            if let (Some(l), false) = (out.last_mut(), covered) {
                l.roof(&p.outline, z, parapet);
            }
        }
        out
    }
}

/// True when the bounding box of `a` contains that of `b` (enough for rectangles).
fn covers(a: &[Pt], b: &[Pt]) -> bool {
    let (a, b) = (bounds(a), bounds(b));
    a[0] <= b[0] && a[1] <= b[1] && a[2] >= b[2] && a[3] >= b[3]
}

/// Basement levels B1..Bn under `outline`, `level_h` each (B1 floor at −level_h), with a
/// top slab 顶板 whose upper face is at `top` (0 = flush with ±0.00, −0.1 = sunk).
#[derive(Debug, Clone, PartialEq)]
pub struct Basement {
    pub outline: Vec<Pt>,
    pub levels: usize,
    pub level_h: f64,
    pub top: f64,
}

impl Basement {
    /// Underside of the lowest floor slab (the basement's depth is measured to it).
    pub fn bottom(&self) -> f64 {
        -(self.levels as f64) * self.level_h - SLAB_M
    }
    pub fn levels(&self) -> Vec<Level> {
        (1..=self.levels)
            .rev()
            .map(|k| {
                let z = -(k as f64) * self.level_h;
                let top = if k == 1 { self.top } else { z + self.level_h };
                let name = format!("B{k}");
                let mut l = Level::storey(&name, z, &self.outline, top - z);
                if k == 1 {
                    l.solids
                        .push(Solid::new("IfcSlab", "FLOOR", "Basement top slab 顶板").at(
                            self.outline.clone(),
                            top - SLAB_M,
                            top,
                        ));
                }
                l
            })
            .collect()
    }
}

impl Building {
    pub fn new(name: &str, occupancy: &str, levels: Vec<Level>) -> Building {
        Building {
            name: name.into(),
            occupancy: Some(occupancy.into()),
            terrain_m: None,
            levels,
        }
    }
}

/// A model: one or more buildings on one IfcSite.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub buildings: Vec<Building>,
}

/// Where and how a scene is written: unit, model origin (site-local), rotation of model +X
/// from site east, and the IfcMapConversion to write (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub unit: Unit,
    pub anchor: Pt,
    pub rotation_deg: f64,
    pub map_conversion: Option<crate::MapConv>,
}

impl Frame {
    /// Model coordinates of a site-local point.
    pub fn to_model(&self, p: Pt) -> Pt {
        let (s, c) = (-self.rotation_deg).to_radians().sin_cos();
        let (x, y) = (p[0] - self.anchor[0], p[1] - self.anchor[1]);
        [c * x - s * y, s * x + c * y]
    }
}

/// STEP string literal body: quotes and backslashes doubled, non-ASCII as `\X2\…\X0\`.
fn step_text(s: &str) -> String {
    let mut out = String::new();
    let mut wide: Vec<u16> = Vec::new();
    let flush = |out: &mut String, wide: &mut Vec<u16>| {
        if !wide.is_empty() {
            out.push_str("\\X2\\");
            for u in wide.drain(..) {
                out.push_str(&format!("{u:04X}"));
            }
            out.push_str("\\X0\\");
        }
    };
    for ch in s.chars() {
        if ch.is_ascii() {
            flush(&mut out, &mut wide);
            match ch {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        } else {
            let mut buf = [0u16; 2];
            wide.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut wide);
    out
}

/// Writes `scene` as an IFC4 file in `frame`.
pub fn write(scene: &Scene, frame: &Frame) -> String {
    let mut w = W::new(frame.unit, [0.0, 0.0]);
    let mut g = 100_000u32;
    let mut next_guid = || {
        g += 1;
        guid(g)
    };
    let ProjectIds { body_ctx, project } = w.project(frame.unit, frame.map_conversion.as_ref());
    let site_pl = w.placement(0.0);
    let site = w.add(format!(
        "IFCSITE('{}',$,'Site',$,$,#{site_pl},$,$,.ELEMENT.,$,$,$,$,$)",
        next_guid()
    ));
    w.add(format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{project},(#{site}))",
        next_guid()
    ));
    let mut building_ids = Vec::new();
    for b in &scene.buildings {
        let terrain = b.terrain_m.map(|t| w.len(t)).unwrap_or_else(|| "$".into());
        let pl = w.placement(0.0);
        let id = w.add(format!(
            "IFCBUILDING('{}',$,'{}',$,$,#{pl},$,$,.ELEMENT.,$,{terrain},$)",
            next_guid(),
            step_text(&b.name)
        ));
        building_ids.push(id);
        if let Some(occ) = &b.occupancy {
            let p = w.add(format!(
                "IFCPROPERTYSINGLEVALUE('OccupancyType',$,IFCLABEL('{}'),$)",
                step_text(occ)
            ));
            let ps = w.add(format!(
                "IFCPROPERTYSET('{}',$,'Pset_BuildingCommon',$,(#{p}))",
                next_guid()
            ));
            w.add(format!(
                "IFCRELDEFINESBYPROPERTIES('{}',$,$,$,(#{id}),#{ps})",
                next_guid()
            ));
        }
        let mut storeys = Vec::new();
        for l in &b.levels {
            let pl = w.placement(l.elevation);
            let st = w.add(format!(
                "IFCBUILDINGSTOREY('{}',$,'{}',$,$,#{pl},$,$,.ELEMENT.,{})",
                next_guid(),
                step_text(&l.name),
                w.len(l.elevation)
            ));
            storeys.push(format!("#{st}"));
            let mut contained = Vec::new();
            for s in &l.solids {
                let plan: Vec<Pt> = s.plan.iter().map(|p| frame.to_model(*p)).collect();
                let shape = w.extrusion(body_ctx, &plan, s.z0, s.depth);
                let epl = w.placement(0.0);
                let ot = s
                    .object_type
                    .map(|t| format!("'{}'", step_text(t)))
                    .unwrap_or_else(|| "$".into());
                contained.push(format!(
                    "#{}",
                    w.add(format!(
                        "{}('{}',$,'{}',$,{ot},#{epl},#{shape},$,.{}.)",
                        s.class.to_ascii_uppercase(),
                        next_guid(),
                        step_text(&s.name),
                        s.predefined
                    ))
                ));
            }
            if !contained.is_empty() {
                w.add(format!(
                    "IFCRELCONTAINEDINSPATIALSTRUCTURE('{}',$,$,$,({}),#{st})",
                    next_guid(),
                    contained.join(",")
                ));
            }
        }
        w.add(format!(
            "IFCRELAGGREGATES('{}',$,$,$,#{id},({}))",
            next_guid(),
            storeys.join(",")
        ));
    }
    let list: Vec<String> = building_ids.iter().map(|b| format!("#{b}")).collect();
    w.add(format!(
        "IFCRELAGGREGATES('{}',$,$,$,#{site},({}))",
        next_guid(),
        list.join(",")
    ));
    file(frame.unit, &w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_frames_turn_plans() {
        assert_eq!(step_text("阳台 it's"), "\\X2\\963353F0\\X0\\ it''s");
        let f = Frame {
            unit: Unit::Metre,
            anchor: [10.0, 0.0],
            rotation_deg: 90.0,
            map_conversion: None,
        };
        let p = f.to_model([10.0, 5.0]);
        assert!((p[0] - 5.0).abs() < 1e-12 && p[1].abs() < 1e-12, "{p:?}");
        assert_eq!(area(&rect(0.0, 0.0, 40.0, 20.0)), 800.0);
    }

    #[test]
    fn a_stack_writes_one_storey_per_level_and_a_roof_per_part() {
        let s = Stack {
            parts: vec![
                Part {
                    outline: rect(0.0, 0.0, 20.0, 10.0),
                    storeys: 2,
                    storey_h: 4.0,
                },
                Part {
                    outline: rect(0.0, 0.0, 10.0, 10.0),
                    storeys: 3,
                    storey_h: 3.0,
                },
            ],
            parapet_m: 1.0,
        };
        assert_eq!(s.roof_top(), 17.2);
        let levels = s.levels();
        assert_eq!(levels.len(), 5);
        assert_eq!(levels[2].elevation, 8.0);
        let roofs = |l: &Level| l.solids.iter().filter(|x| x.predefined == "ROOF").count();
        assert_eq!((roofs(&levels[1]), roofs(&levels[4])), (1, 1));
        let scene = Scene {
            buildings: vec![Building::new("塔楼", "住宅", levels)],
        };
        let text = write(
            &scene,
            &Frame {
                unit: Unit::Millimetre,
                anchor: [0.0, 0.0],
                rotation_deg: 30.0,
                map_conversion: None,
            },
        );
        assert_eq!(text.matches("IFCBUILDINGSTOREY(").count(), 5);
        assert_eq!(text.matches(".PARAPET.").count(), 4);
    }
}
