//! `setback_control_line`: distance from the footprint to blue 蓝线, green 绿线, purple 紫线
//! and yellow 黄线 lines and building control lines 建筑控制线, against the profile's
//! distance for each kind. Measured is a signed distance: negative when the building
//! enters the protected area (by that depth), so a 0 m rule fails on any entry.

use crate::context::{decide, fmt_m, needs_placement, result, Ctx};
use crate::geom::{closest_points, polygons, segment_geojson, Boundary};
use crate::profile::ControlLines;
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

/// How deep `fp` reaches into `area` (`inside`) or out of it: the farthest of its
/// corners on that side from the area's boundary, 0 when none is.
fn depth(fp: &MultiPolygon<f64>, area: &MultiPolygon<f64>, inside: bool) -> f64 {
    Boundary::of_polygons(area).deepest(
        fp.coords_iter()
            .filter(|c| area.contains(&Point(*c)) == inside),
    )
}

/// The footprint against one line of `kind`: the signed distance (negative by the
/// depth it enters the protected area, or leaves a building control line's) and the
/// evidence; `None` when the line has no segments to measure.
fn measure(
    kind: Kind,
    fp: &MultiPolygon<f64>,
    fp_geom: &Geometry<f64>,
    f: &Feature,
) -> Option<(f64, Geometry<f64>)> {
    let area = area_of(f);
    if kind == Kind::BuildingControlLine && !area.0.is_empty() {
        // Buildings stay inside a building control line.
        let out = fp.difference(&area);
        return Some((-depth(fp, &area, false), Geometry::MultiPolygon(out)));
    }
    let (a, b, d) = closest_points(fp_geom, &f.geometry)?;
    let inside = if area.0.is_empty() {
        0.0
    } else {
        depth(fp, &area, true)
    };
    Some(if inside > 0.0 {
        (-inside, Geometry::MultiPolygon(fp.intersection(&area)))
    } else {
        (d, Geometry::Line(geo::Line::new(a, b)))
    })
}

/// The governing line: the least margin over its required distance.
struct Governing<'a> {
    signed: f64,
    required: f64,
    zh: &'a str,
    en: &'a str,
    name: String,
    clause: String,
    unverified: bool,
    evidence: Geometry<f64>,
}

/// Every line within reach of the footprint measured: the governing one, a row
/// each, and the kinds present that the profiles give no distance for.
struct Measured<'a> {
    governing: Option<Governing<'a>>,
    rows: Vec<serde_json::Value>,
    missing_rule: Vec<&'a str>,
}

fn measure_all<'a>(ctx: &'a Ctx, rules: &'a ControlLines, fp: &MultiPolygon<f64>) -> Measured<'a> {
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    let mut out = Measured {
        governing: None,
        rows: Vec::new(),
        missing_rule: Vec::new(),
    };
    for (kind, zh, en) in KINDS {
        if ctx.site.count(*kind) == 0 {
            continue;
        }
        let Some(rule) = rules.rules.iter().find(|x| x.kind == kind.as_str()) else {
            out.missing_rule.push(*en);
            continue;
        };
        let mut near = ctx.site.within(*kind, &fp_geom, rule.distance_m + 1.0);
        if near.is_empty() {
            // Nothing within reach: the nearest line still gives the margin.
            near.extend(ctx.site.nearest(*kind, &fp_geom).map(|x| x.0));
        }
        for f in near {
            let Some((signed, evidence)) = measure(*kind, fp, &fp_geom, f) else {
                continue;
            };
            let name = f.label();
            out.rows.push(serde_json::json!({"kind": kind.as_str(), "name": name, "distance_m": signed, "required_m": rule.distance_m}));
            if out
                .governing
                .as_ref()
                .is_none_or(|g| signed - rule.distance_m < g.signed - g.required)
            {
                out.governing = Some(Governing {
                    signed,
                    required: rule.distance_m,
                    zh,
                    en,
                    name,
                    clause: rule.clause.clone(),
                    unverified: rule.unverified,
                    evidence,
                });
            }
        }
    }
    out
}

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
    let Measured {
        governing,
        rows,
        missing_rule,
    } = measure_all(ctx, rules, fp);
    r.details = serde_json::json!({"lines": rows});
    let Some(g) = governing else {
        r.explanation = if missing_rule.is_empty() {
            r.status = Status::Pass;
            Text::new(
                "附近没有需退让的控制线",
                "no control line within its setback distance",
            )
        } else {
            Text::new(
                format!(
                    "规则配置缺少以下控制线的退让距离: {}",
                    missing_rule.join(", ")
                ),
                format!(
                    "no distance in the profiles for: {}",
                    missing_rule.join(", ")
                ),
            )
        };
        return r;
    };
    r.clause = Some(profile.cite(&g.clause, g.unverified));
    decide(&mut r, g.signed, g.required, Comparison::AtLeast, &ctx.tol);
    if !missing_rule.is_empty() && r.status == Status::Pass {
        r.status = Status::Unverifiable;
    }
    r.evidence = Some(match &g.evidence {
        Geometry::Line(l) => segment_geojson(l.start, l.end),
        e => crate::geom::geojson(e),
    });
    r.elements = match &g.evidence {
        Geometry::Line(l) => ctx.elements_near(l.start, 1.0),
        Geometry::MultiPolygon(m) => ctx.elements_in(m),
        _ => Vec::new(),
    };
    r.elements_bbox = ctx.bbox_of(&r.elements);
    r.explanation = explain(&g, r.status);
    r
}

/// The bilingual sentence for the governing line.
fn explain(g: &Governing, status: Status) -> Text {
    let (d, req, zh, en, name) = (g.signed, g.required, g.zh, g.en, &g.name);
    if d < 0.0 && status == Status::Fail {
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
    } else if status == Status::Fail {
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
    }
}
