//! The planning layers around the building: the ground, the parcel 地块, the control
//! lines (道路红线, 蓝线, 绿线, 紫线, 黄线, 建筑控制线) as flat ribbons, height zones 限高区 as
//! translucent volumes, existing buildings 现状建筑 extruded from their heights, green
//! areas 绿地 as fills.
//!
//! Only a window around the parcel and the building is drawn (`Limits::window_margin_m`),
//! features crossing its edge are clipped to it, and each layer keeps at most
//! `Limits::features_per_layer` features (the nearest), so a city-wide layer cannot
//! make a city-sized scene. Everything left out is named in a warning.

use crate::frame::Frame;
use crate::mesh::Pen;
use crate::scene::SceneBuilder;
use crate::Limits;
use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, Geometry, LineString, Polygon, Rect};
use zhishen_render::format::{Layer, NodeInfo};
use zhishen_site::{Feature, Kind, SiteModel};

/// Heights above the ground (m) that keep flat things from z-fighting, lowest first.
pub(crate) mod lift {
    /// Top face of the ground plane, just under the ground.
    pub const GROUND: f64 = -0.05;
    pub const GREEN_AREA: f64 = 0.01;
    pub const PARCEL_FILL: f64 = 0.02;
    /// A height zone without a usable limit, drawn flat.
    pub const HEIGHT_ZONE_FLAT: f64 = 0.03;
    pub const EVIDENCE_FILL: f64 = 0.04;
    /// Parcel outlines lie under the planning lines: a parcel edge usually runs along a
    /// road red line, and the red line is the one a reviewer must see.
    pub const PARCEL_LINE: f64 = 0.05;
    /// Line layers: building control line … road red line (on top) at 0.06 … 0.11.
    pub const LINES: f64 = 0.06;
    pub const EVIDENCE_LINE: f64 = 0.15;
}

/// Ribbon widths (m).
pub(crate) const LINE_WIDTH_M: f64 = 0.4;

/// The part of the site drawn.
pub(crate) struct Window {
    pub rect: Rect<f64>,
    poly: Polygon<f64>,
}

impl Window {
    /// The union of the boxes given, grown by `margin` on every side.
    pub fn around(boxes: &[Rect<f64>], margin: f64) -> Option<Window> {
        let mut it = boxes.iter();
        let first = *it.next()?;
        let (mut lo, mut hi) = (first.min(), first.max());
        for r in it {
            lo = Coord {
                x: lo.x.min(r.min().x),
                y: lo.y.min(r.min().y),
            };
            hi = Coord {
                x: hi.x.max(r.max().x),
                y: hi.y.max(r.max().y),
            };
        }
        let rect = Rect::new(
            Coord {
                x: lo.x - margin,
                y: lo.y - margin,
            },
            Coord {
                x: hi.x + margin,
                y: hi.y + margin,
            },
        );
        let ok = [rect.min().x, rect.min().y, rect.max().x, rect.max().y]
            .iter()
            .all(|v| v.is_finite());
        ok.then(|| Window {
            rect,
            poly: rect.to_polygon(),
        })
    }

    fn holds(&self, bbox: Option<[f64; 4]>) -> bool {
        bbox.is_some_and(|b| {
            b[0] >= self.rect.min().x
                && b[1] >= self.rect.min().y
                && b[2] <= self.rect.max().x
                && b[3] <= self.rect.max().y
        })
    }

    fn centre(&self) -> Coord<f64> {
        self.rect.center()
    }

    /// The lines (and polygon rings) of `g` inside the window.
    fn lines(&self, g: &Geometry<f64>) -> Result<Vec<LineString<f64>>, String> {
        let lines = lines_of(g);
        if self.holds(bbox_of(g)) || lines.is_empty() {
            return Ok(lines);
        }
        let mls = geo::MultiLineString(lines);
        std::panic::catch_unwind(|| self.poly.clip(&mls, false))
            .map(|m| m.0)
            .map_err(|_| "clipping to the scene window failed".to_string())
    }

    /// The polygons of `g` inside the window.
    fn polygons(&self, g: &Geometry<f64>) -> Result<Vec<Polygon<f64>>, String> {
        let polys = polygons_of(g);
        if self.holds(bbox_of(g)) || polys.is_empty() {
            return Ok(polys);
        }
        let mp = geo::MultiPolygon(polys);
        std::panic::catch_unwind(|| mp.intersection(&self.poly))
            .map(|m| m.0)
            .map_err(|_| "clipping to the scene window failed".to_string())
    }
}

fn bbox_of(g: &Geometry<f64>) -> Option<[f64; 4]> {
    g.bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// Lines of a geometry, polygon rings included.
pub(crate) fn lines_of(g: &Geometry<f64>) -> Vec<LineString<f64>> {
    match g {
        Geometry::Line(l) => vec![LineString(vec![l.start, l.end])],
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        Geometry::GeometryCollection(c) => c.0.iter().flat_map(lines_of).collect(),
        other => polygons_of(other)
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .cloned()
            .collect(),
    }
}

/// Polygons of a geometry.
pub(crate) fn polygons_of(g: &Geometry<f64>) -> Vec<Polygon<f64>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(m) => m.0.clone(),
        Geometry::Rect(r) => vec![r.to_polygon()],
        Geometry::Triangle(t) => vec![t.to_polygon()],
        Geometry::GeometryCollection(c) => c.0.iter().flat_map(polygons_of).collect(),
        _ => Vec::new(),
    }
}

/// The ground plane over the window.
pub(crate) fn add_ground(sb: &mut SceneBuilder, frame: &Frame, w: &Window) {
    let mut pen = Pen::new(frame);
    let z = frame.ground() + lift::GROUND;
    if pen.fill(&w.poly, z).is_ok() {
        if let Some(m) = pen.mesh.finish() {
            let info = NodeInfo {
                layer: Some(Layer::Ground),
                ..Default::default()
            };
            sb.add(m, [0.0; 3], info);
        }
    }
}

/// How a layer is drawn.
#[derive(Debug, Clone, Copy)]
enum Style {
    /// Ribbons along lines and polygon boundaries, `lift` above the ground.
    Lines(f64),
    /// Flat fills `lift` above the ground.
    Fill(f64),
    /// Translucent volumes from the ground to `limit_m` (absolute when `absolute`).
    HeightZone,
    /// Prisms from the ground up by `height_m`.
    Extruded,
}

const LAYERS: [(Kind, Layer, Style); 10] = [
    (Kind::Parcel, Layer::Parcel, Style::Lines(lift::PARCEL_LINE)),
    (
        Kind::RoadRedLine,
        Layer::RoadRedLine,
        Style::Lines(lift::LINES + 0.05),
    ),
    (
        Kind::BlueLine,
        Layer::BlueLine,
        Style::Lines(lift::LINES + 0.01),
    ),
    (
        Kind::GreenLine,
        Layer::GreenLine,
        Style::Lines(lift::LINES + 0.02),
    ),
    (
        Kind::PurpleLine,
        Layer::PurpleLine,
        Style::Lines(lift::LINES + 0.03),
    ),
    (
        Kind::YellowLine,
        Layer::YellowLine,
        Style::Lines(lift::LINES + 0.04),
    ),
    (
        Kind::BuildingControlLine,
        Layer::BuildingControlLine,
        Style::Lines(lift::LINES),
    ),
    (Kind::HeightZone, Layer::HeightZone, Style::HeightZone),
    (
        Kind::ExistingBuilding,
        Layer::ExistingBuilding,
        Style::Extruded,
    ),
    (
        Kind::GreenArea,
        Layer::GreenArea,
        Style::Fill(lift::GREEN_AREA),
    ),
];

/// What the site layers are drawn from.
pub(crate) struct LayerCtx<'a> {
    pub frame: &'a Frame,
    pub window: &'a Window,
    pub site: &'a SiteModel,
    /// The reviewed parcel's id and geometry (site coordinates).
    pub parcel_id: &'a str,
    pub parcel: Option<&'a Geometry<f64>>,
    pub limits: &'a Limits,
}

/// The reviewed parcel (fill and outline), then every layer's features in the window.
pub(crate) fn add_site(sb: &mut SceneBuilder, ctx: &LayerCtx) {
    if let Some(g) = ctx.parcel {
        add_parcel(sb, ctx, g);
    }
    let window = Geometry::Polygon(ctx.window.poly.clone());
    let c = ctx.window.centre();
    for (kind, layer, style) in LAYERS {
        let mut feats: Vec<&Feature> = ctx
            .site
            .within(kind, &window, 0.0)
            .into_iter()
            .filter(|f| !(kind == Kind::Parcel && f.id() == Some(ctx.parcel_id)))
            .collect();
        let gap = |f: &Feature| {
            f.bbox.map_or(f64::INFINITY, |b| {
                ((b[0] + b[2]) / 2.0 - c.x).hypot((b[1] + b[3]) / 2.0 - c.y)
            })
        };
        feats.sort_by(|a, b| gap(a).total_cmp(&gap(b)));
        let cap = ctx.limits.features_per_layer;
        if feats.len() > cap {
            sb.warn(format!(
                "layer {}: {} features in the scene window, only the {cap} nearest drawn",
                kind.as_str(),
                feats.len()
            ));
            feats.truncate(cap);
        }
        for f in feats {
            if let Err(why) = add_feature(sb, ctx, f, (layer, style)) {
                sb.warn(format!("{} not drawn: {why}", ident(f)));
            }
        }
    }
}

/// How a warning names a feature: kind, file#fid and label.
fn ident(f: &Feature) -> String {
    let fid = f.fid.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    format!(
        "{} feature {}#{fid} ({})",
        f.kind.as_str(),
        f.file,
        f.label()
    )
}

fn add_parcel(sb: &mut SceneBuilder, ctx: &LayerCtx, g: &Geometry<f64>) {
    let ground = ctx.frame.ground();
    let mut pen = Pen::new(ctx.frame);
    let mut failed = Vec::new();
    match ctx.window.polygons(g) {
        Ok(polys) => {
            for p in &polys {
                if let Err(e) = pen.fill(p, ground + lift::PARCEL_FILL) {
                    failed.push(e);
                }
            }
        }
        Err(e) => failed.push(e),
    }
    match ctx.window.lines(g) {
        Ok(lines) => {
            for l in &lines {
                pen.ribbon(l, LINE_WIDTH_M, ground + lift::PARCEL_LINE);
            }
        }
        Err(e) => failed.push(e),
    }
    for e in failed {
        sb.warn(format!("parcel {}: partly not drawn: {e}", ctx.parcel_id));
    }
    let name = ctx
        .site
        .parcel(ctx.parcel_id)
        .and_then(|f| f.text("name"))
        .map(str::to_string);
    if let Some(m) = pen.mesh.finish() {
        let info = NodeInfo {
            layer: Some(Layer::Parcel),
            class: Some(ctx.parcel_id.to_string()),
            name,
            ..Default::default()
        };
        sb.add(m, [0.0; 3], info);
    } else {
        sb.warn(format!(
            "parcel {}: nothing to draw (no area inside the scene window)",
            ctx.parcel_id
        ));
    }
}

/// One feature as one node; `Err` says why it is not drawn.
fn add_feature(
    sb: &mut SceneBuilder,
    ctx: &LayerCtx,
    f: &Feature,
    (layer, style): (Layer, Style),
) -> Result<(), String> {
    let n = f.geometry.coords_count();
    if n > ctx.limits.vertices_per_feature {
        return Err(format!(
            "{n} vertices, more than the {} drawn per feature",
            ctx.limits.vertices_per_feature
        ));
    }
    let ground = ctx.frame.ground();
    let mut pen = Pen::new(ctx.frame);
    match style {
        Style::Lines(lift) => {
            if lines_of(&f.geometry).is_empty() {
                return Err("neither a line nor a polygon".into());
            }
            for l in &ctx.window.lines(&f.geometry)? {
                pen.ribbon(l, LINE_WIDTH_M, ground + lift);
            }
        }
        Style::Fill(lift) => {
            for p in &area_of(ctx, f)? {
                pen.fill(p, ground + lift)?;
            }
        }
        Style::HeightZone => {
            let top = zone_top(ctx.frame, f);
            for p in &area_of(ctx, f)? {
                match top {
                    Ok(z) => pen.extrude(p, ground, z)?,
                    Err(_) => pen.fill(p, ground + lift::HEIGHT_ZONE_FLAT)?,
                }
            }
            if let Err(why) = top {
                sb.warn(format!("{} drawn flat: {why}", ident(f)));
            }
        }
        Style::Extruded => {
            let h = f.number("height_m").filter(|h| h.is_finite() && *h > 0.0);
            for p in &area_of(ctx, f)? {
                match h {
                    Some(h) => pen.extrude(p, ground, ground + h)?,
                    None => pen.fill(p, ground + lift::GREEN_AREA)?,
                }
            }
            if h.is_none() {
                sb.warn(format!("{} drawn flat: no height_m", ident(f)));
            }
        }
    }
    let Some(m) = pen.mesh.finish() else {
        // A feature that only touches the window's edge has nothing inside it: that is
        // not drawn, and nothing is lost. One wholly inside with nothing to draw is named.
        return if ctx.window.holds(bbox_of(&f.geometry)) {
            Err("nothing to draw (no area or length)".into())
        } else {
            Ok(())
        };
    };
    let class = f
        .id()
        .map(str::to_string)
        .or_else(|| f.fid.map(|n| format!("{}#{n}", f.kind.as_str())));
    let info = NodeInfo {
        layer: Some(layer),
        class,
        name: f.text("name").map(str::to_string),
        ..Default::default()
    };
    sb.add(m, [0.0; 3], info);
    Ok(())
}

/// The polygons of an areal feature inside the window (`Err` when it has none).
fn area_of(ctx: &LayerCtx, f: &Feature) -> Result<Vec<Polygon<f64>>, String> {
    if polygons_of(&f.geometry).is_empty() {
        return Err("not a polygon".into());
    }
    ctx.window.polygons(&f.geometry)
}

/// Site Z of a height zone's limit, or why it cannot be drawn as a volume.
fn zone_top(frame: &Frame, f: &Feature) -> Result<f64, String> {
    let limit = f
        .number("limit_m")
        .filter(|v| v.is_finite())
        .ok_or("no limit_m")?;
    let absolute = f
        .attrs
        .get("absolute")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let top = if absolute {
        if !frame.absolute_z {
            return Err(format!(
                "absolute limit {limit} m but the building's elevation is unknown"
            ));
        }
        limit
    } else {
        frame.ground() + limit
    };
    if top > frame.ground() {
        Ok(top)
    } else {
        Err(format!("limit {limit} m is not above the ground"))
    }
}
