//! `setback_control_line`: distance from the footprint to blue 蓝线, green 绿线, purple 紫线
//! and yellow 黄线 lines and building control lines 建筑控制线, against the profile's
//! distance for each kind. Measured is a signed distance: negative when the building
//! enters the protected area (by that depth), so a 0 m rule fails on any entry.

use crate::context::{decide, fmt_m, needs_placement, result, Ctx};
use crate::geom::{closest_points, polygons, segment_geojson, Boundary};
use crate::report::{CheckResult, Comparison, Status, Text, Unit};
use geo::{BooleanOps, Contains, CoordsIter, Geometry, MultiPolygon, Point, Polygon};
use zhishen_site::{Feature, Kind};

const KINDS: &[(Kind, &str, &str)] = &[
    (Kind::BlueLine, "蓝线", "blue line"),
    (Kind::GreenLine, "绿线", "green line"),
    (Kind::PurpleLine, "紫线", "purple line"),
    (Kind::YellowLine, "黄线", "yellow line"),
    (
        Kind::BuildingControlLine,
        "建筑控制线",
        "building control line",
    ),
];

/// The protected area of a control-line feature: its polygons, or the ring a closed line draws.
fn area_of(f: &Feature) -> MultiPolygon<f64> {
    let p = polygons(&f.geometry);
    if !p.0.is_empty() {
        return p;
    }
    let rings: Vec<geo::LineString<f64>> = match &f.geometry {
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        _ => vec![],
    };
    MultiPolygon(
        rings
            .into_iter()
            .filter(|l| l.is_closed() && l.0.len() >= 4)
            .map(|l| Polygon::new(l, vec![]))
            .collect(),
    )
}

fn depth_inside(fp: &MultiPolygon<f64>, area: &MultiPolygon<f64>) -> f64 {
    let boundary = Boundary::of(&Geometry::MultiPolygon(area.clone()));
    fp.coords_iter()
        .filter(|c| area.contains(&Point(*c)))
        .map(|c| boundary.distance(c))
        .fold(0.0, f64::max)
}

/// Governing line: signed distance, required, kind zh/en, name, clause, unverified, evidence.
type Best<'a> = (
    f64,
    f64,
    &'a str,
    &'a str,
    String,
    String,
    bool,
    Geometry<f64>,
);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "setback_control_line",
        Text::new("退让城市控制线", "Setback from control lines"),
        Unit::M,
    );
    let present: usize = KINDS.iter().map(|(k, ..)| ctx.site.count(*k)).sum();
    if present == 0 {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "场地数据中没有蓝线、绿线、紫线、黄线或建筑控制线",
            "the site package has no blue, green, purple, yellow or building control lines",
        );
        return r;
    }
    let Some(fp) = ctx.footprint() else {
        needs_placement(&mut r, ctx);
        return r;
    };
    let Some((rules, profile)) = ctx.profiles.pick(|p| p.control_line.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少控制线退让距离",
            "no control-line distances in the rule profiles",
        );
        return r;
    };
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    let mut best: Option<Best<'_>> = None;
    let mut rows = Vec::new();
    let mut missing_rule = Vec::new();
    for (kind, zh, en) in KINDS {
        if ctx.site.count(*kind) == 0 {
            continue;
        }
        let Some(rule) = rules.rules.iter().find(|x| x.kind == kind.as_str()) else {
            missing_rule.push(*en);
            continue;
        };
        let mut near = ctx.site.within(*kind, &fp_geom, rule.distance_m + 1.0);
        if near.is_empty() {
            // Nothing within reach: the nearest line still gives the margin.
            near.extend(ctx.site.nearest(*kind, &fp_geom).map(|x| x.0));
        }
        for f in near {
            let name = f.label();
            let area = area_of(f);
            let (signed, evidence) = if *kind == Kind::BuildingControlLine && !area.0.is_empty() {
                // Buildings stay inside a building control line.
                let out = fp.difference(&area);
                let depth = {
                    let boundary = Boundary::of(&Geometry::MultiPolygon(area.clone()));
                    fp.coords_iter()
                        .filter(|c| !area.contains(&Point(*c)))
                        .map(|c| boundary.distance(c))
                        .fold(0.0, f64::max)
                };
                (-depth, Geometry::MultiPolygon(out))
            } else {
                let Some((a, b, d)) = closest_points(&fp_geom, &f.geometry) else {
                    continue;
                };
                let depth = if area.0.is_empty() {
                    0.0
                } else {
                    depth_inside(fp, &area)
                };
                if depth > 0.0 {
                    (-depth, Geometry::MultiPolygon(fp.intersection(&area)))
                } else {
                    (d, Geometry::Line(geo::Line::new(a, b)))
                }
            };
            rows.push(serde_json::json!({"kind": kind.as_str(), "name": name, "distance_m": signed, "required_m": rule.distance_m}));
            if best
                .as_ref()
                .is_none_or(|(bd, breq, ..)| signed - rule.distance_m < bd - breq)
            {
                best = Some((
                    signed,
                    rule.distance_m,
                    zh,
                    en,
                    name,
                    rule.clause.clone(),
                    rule.unverified,
                    evidence,
                ));
            }
        }
    }
    r.details = serde_json::json!({"lines": rows});
    let Some((d, req, zh, en, name, clause, unverified, evidence)) = best else {
        if !missing_rule.is_empty() {
            r.explanation = Text::new(
                format!(
                    "规则配置缺少以下控制线的退让距离: {}",
                    missing_rule.join(", ")
                ),
                format!(
                    "no distance in the profiles for: {}",
                    missing_rule.join(", ")
                ),
            );
            return r;
        }
        r.status = Status::Pass;
        r.explanation = Text::new(
            "附近没有需退让的控制线",
            "no control line within its setback distance",
        );
        return r;
    };
    r.clause = Some(profile.cite(&clause, unverified));
    decide(&mut r, d, req, Comparison::AtLeast, &ctx.tol);
    if !missing_rule.is_empty() && r.status == Status::Pass {
        r.status = Status::Unverifiable;
    }
    r.evidence = Some(match &evidence {
        Geometry::Line(l) => segment_geojson(l.start, l.end),
        g => crate::geom::geojson(g),
    });
    r.elements = match &evidence {
        Geometry::Line(l) => ctx.elements_near(l.start, 1.0),
        Geometry::MultiPolygon(m) => ctx.elements_in(m),
        _ => Vec::new(),
    };
    r.elements_bbox = ctx.bbox_of(&r.elements);
    r.explanation = if d < 0.0 && r.status == Status::Fail {
        Text::new(
            format!(
                "建筑侵入{zh}「{name}」{}，要求退让 {}",
                fmt_m(-d),
                fmt_m(req)
            ),
            format!(
                "the building enters the {en} '{name}' by {} where {} is required",
                fmt_m(-d),
                fmt_m(req)
            ),
        )
    } else if r.status == Status::Fail {
        Text::new(
            format!("距{zh}「{name}」{} < 要求 {}", fmt_m(d), fmt_m(req)),
            format!(
                "{} from the {en} '{name}', less than the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    } else {
        Text::new(
            format!(
                "距最近控制线{zh}「{name}」{} ≥ 要求 {}",
                fmt_m(d),
                fmt_m(req)
            ),
            format!(
                "{} from the governing {en} '{name}', at least the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    };
    r
}
