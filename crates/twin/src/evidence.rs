//! Evidence 核验证据: the geometry each finding was measured on, drawn where it is. A
//! distance's closest-point segment is a bright ribbon with a post at each end; the
//! part outside a line or above a limit is a fill on the ground, and for a height
//! check also a translucent slab at the limit height with its outline.
//!
//! The slab is a `height_zone` node (the palette's translucent colour; an evidence node
//! with a mark is drawn opaque), carrying the finding's number like the others.

use crate::findings::Numbered;
use crate::frame::Frame;
use crate::geojson;
use crate::layers::{lift, lines_of, polygons_of};
use crate::mesh::Pen;
use crate::scene::SceneBuilder;
use geo::{Centroid, Coord, Euclidean, Geometry, InterpolateLine, Length, LineString, Polygon};
use std::collections::BTreeMap;
use zhishen_render::format::{Layer, Mark, NodeInfo};

/// Evidence ribbon width (m).
const RIBBON_M: f64 = 0.6;
/// End posts: side and height above the ground (m).
const POST_SIDE_M: f64 = 0.12;
const POST_H_M: f64 = 3.0;

/// Which checks limit a height, and how their limit is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
enum HeightCheck {
    /// `height_planning`: the limit is a height above the ground.
    AboveGround,
    /// `height_absolute`: the limit is an absolute elevation.
    Absolute,
}

impl HeightCheck {
    fn of(check_id: &str) -> Option<HeightCheck> {
        match check_id {
            "height_planning" => Some(HeightCheck::AboveGround),
            "height_absolute" => Some(HeightCheck::Absolute),
            _ => None,
        }
    }
}

/// Adds the evidence of every finding; returns each finding's label point.
pub(crate) fn add(
    sb: &mut SceneBuilder,
    frame: &Frame,
    findings: &[Numbered],
) -> BTreeMap<usize, [f32; 3]> {
    let mut labels = BTreeMap::new();
    for f in findings {
        let Some(v) = &f.check.evidence else { continue };
        let Some(g) = geojson::geometry(v) else {
            sb.warn(format!(
                "finding {} ({}): evidence is not a readable GeoJSON geometry, not drawn",
                f.number, f.check.id
            ));
            continue;
        };
        if let Some(p) = add_one(sb, frame, f, &g) {
            labels.insert(f.number, p);
        }
    }
    labels
}

fn info(f: &Numbered, layer: Layer, mark: Mark) -> NodeInfo {
    NodeInfo {
        layer: Some(layer),
        class: Some(f.check.id.clone()),
        name: Some(f.check.title.zh.clone()),
        mark,
        findings: vec![f.number],
        ..Default::default()
    }
}

/// Draws one finding's evidence; returns its label point.
fn add_one(
    sb: &mut SceneBuilder,
    frame: &Frame,
    f: &Numbered,
    g: &Geometry<f64>,
) -> Option<[f32; 3]> {
    let ground = frame.ground();
    let lines: Vec<LineString<f64>> = match g {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => Vec::new(),
        other => lines_of(other),
    };
    let polys = polygons_of(g);
    let points = points_of(g);
    let mut label = None;
    // Segments and points: ribbons and posts.
    let mut pen = Pen::new(frame);
    for l in &lines {
        pen.ribbon(l, RIBBON_M, ground + lift::EVIDENCE_LINE);
        for end in [l.0.first(), l.0.last()].into_iter().flatten() {
            pen.post(*end, POST_SIDE_M, ground, ground + POST_H_M);
        }
    }
    for p in &points {
        pen.post(*p, POST_SIDE_M, ground, ground + POST_H_M);
    }
    if let Some(m) = pen.mesh.finish() {
        sb.add(m, [0.0; 3], info(f, Layer::Evidence, f.mark));
    }
    if let Some(mid) = lines.first().and_then(midpoint) {
        label = Some(frame.local(mid.x, mid.y, ground + lift::EVIDENCE_LINE));
    } else if let Some(p) = points.first() {
        label = Some(frame.local(p.x, p.y, ground + POST_H_M));
    }
    if !polys.is_empty() {
        let z = add_areas(sb, frame, f, &polys);
        if let Some(c) = geo::MultiPolygon(polys).centroid() {
            label = Some(frame.local(c.x(), c.y(), z));
        }
    }
    label.map(|p| p.map(|v| v as f32))
}

/// The fill on the ground and, for a height check, the slab at the limit; returns the
/// height the label goes to.
fn add_areas(sb: &mut SceneBuilder, frame: &Frame, f: &Numbered, polys: &[Polygon<f64>]) -> f64 {
    let ground = frame.ground();
    let mut pen = Pen::new(frame);
    let mut failed = 0;
    for p in polys {
        failed += usize::from(pen.fill(p, ground + lift::EVIDENCE_FILL).is_err());
    }
    if let Some(m) = pen.mesh.finish() {
        sb.add(m, [0.0; 3], info(f, Layer::Evidence, f.mark));
    }
    if failed > 0 {
        sb.warn(format!(
            "finding {} ({}): {failed} evidence polygon(s) could not be triangulated",
            f.number, f.check.id
        ));
    }
    let Some(z) = limit_z(sb, frame, f) else {
        return ground + lift::EVIDENCE_FILL;
    };
    let (mut slab, mut edge) = (Pen::new(frame), Pen::new(frame));
    for p in polys {
        // Already refused above when it cannot be triangulated.
        let _ = slab.fill(p, z);
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            edge.ribbon(r, RIBBON_M / 2.0, z);
        }
    }
    if let Some(m) = slab.mesh.finish() {
        sb.add(m, [0.0; 3], info(f, Layer::HeightZone, Mark::None));
    }
    if let Some(m) = edge.mesh.finish() {
        sb.add(m, [0.0; 3], info(f, Layer::Evidence, f.mark));
    }
    z
}

/// Site Z of a height check's limit, when the finding is one and it can be placed.
fn limit_z(sb: &mut SceneBuilder, frame: &Frame, f: &Numbered) -> Option<f64> {
    let kind = HeightCheck::of(&f.check.id)?;
    let limit = f.check.limit.filter(|v| v.is_finite())?;
    match kind {
        HeightCheck::AboveGround => Some(frame.ground() + limit),
        HeightCheck::Absolute if frame.absolute_z => Some(limit),
        HeightCheck::Absolute => {
            sb.warn(format!(
                "finding {} ({}): the building's elevation is unknown, so the absolute limit {limit} m is not drawn",
                f.number, f.check.id
            ));
            None
        }
    }
}

fn points_of(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    match g {
        Geometry::Point(p) => vec![p.0],
        Geometry::MultiPoint(m) => m.0.iter().map(|p| p.0).collect(),
        Geometry::GeometryCollection(c) => c.0.iter().flat_map(points_of).collect(),
        _ => Vec::new(),
    }
}

/// The point halfway along a line.
fn midpoint(l: &LineString<f64>) -> Option<Coord<f64>> {
    if l.0.len() == 1 || Euclidean.length(l) == 0.0 {
        return l.0.first().copied();
    }
    Euclidean.point_at_ratio_from_start(l, 0.5).map(|p| p.0)
}
