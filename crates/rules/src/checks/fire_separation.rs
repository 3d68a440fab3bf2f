//! `fire_separation`: fire separation 防火间距 to existing buildings by height class
//! (GB 50016-2014 表5.2.2): 13 m between high-rise buildings, 9 m between a high-rise and
//! a low or multi-storey one, 6 m between low and multi-storey buildings. High-rise:
//! residential above 27 m, other uses above 24 m. The planning height stands in for the
//! fire-code height; it is never lower, so the class is never understated.

use crate::context::{decide_distance, fmt_m, footprint_near_existing, result, Ctx};
use crate::geom::closest_points;
use crate::report::{CheckResult, Status, Text, Unit};
use crate::uses;
use geo::Geometry;
use zhishen_site::Kind;

/// Governing neighbour: distance, required, name, closest points.
type Best = (f64, f64, String, geo::Coord<f64>, geo::Coord<f64>);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "fire_separation",
        Text::new("防火间距", "Fire separation"),
        Unit::M,
    );
    let Some(fp) = footprint_near_existing(&mut r, ctx) else {
        return r;
    };
    let Some((rule, profile)) = ctx.profiles.pick(|p| p.fire_separation.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少防火间距",
            "no fire-separation rule in the profiles",
        );
        return r;
    };
    r.clause = Some(profile.cite(&rule.source.clause, rule.source.unverified));
    let Some(h) = ctx.height() else {
        r.explanation = Text::new("无法确定建筑高度", "the building height is unknown");
        return r;
    };
    let high = |height: f64, residential: bool| {
        height
            > if residential {
                rule.high_rise_residential_m
            } else {
                rule.high_rise_public_m
            }
    };
    let ours_high = high(h, ctx.is_residential());
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    let mut candidates = ctx
        .site
        .within(Kind::ExistingBuilding, &fp_geom, rule.high_high_m + 1.0);
    if candidates.is_empty() {
        if let Some((n, _)) = ctx.site.nearest(Kind::ExistingBuilding, &fp_geom) {
            candidates.push(n);
        }
    }
    let mut best: Option<Best> = None;
    let mut unknown = Vec::new();
    let mut rows = Vec::new();
    for n in candidates {
        let name = n.label();
        let Some((a, b, d)) = closest_points(&fp_geom, &n.geometry) else {
            continue;
        };
        let Some(hn) = n.number("height_m") else {
            unknown.push(name);
            continue;
        };
        let req = match (ours_high, high(hn, uses::feature_is_residential(n))) {
            (true, true) => rule.high_high_m,
            (false, false) => rule.low_low_m,
            _ => rule.high_low_m,
        };
        rows.push(serde_json::json!({"building": name, "distance_m": d, "required_m": req, "height_m": hn}));
        if best
            .as_ref()
            .is_none_or(|(bd, breq, ..)| d - req < bd - breq)
        {
            best = Some((d, req, name, a, b));
        }
    }
    r.details =
        serde_json::json!({"neighbours": rows, "high_rise": ours_high, "unknown_height": unknown});
    let Some((d, req, name, a, b)) = best else {
        r.explanation = Text::new(
            format!("相邻建筑缺少高度: {}", unknown.join("、")),
            format!("neighbours without a height: {}", unknown.join(", ")),
        );
        return r;
    };
    decide_distance(&mut r, ctx, d, req, a, b, !unknown.is_empty());
    r.explanation = if r.status == Status::Fail {
        Text::new(
            format!("与「{name}」防火间距 {} < {}", fmt_m(d), fmt_m(req)),
            format!(
                "{} from '{name}', less than the fire separation of {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    } else {
        Text::new(
            format!(
                "与最近建筑「{name}」间距 {} ≥ 防火间距 {}",
                fmt_m(d),
                fmt_m(req)
            ),
            format!(
                "{} from the nearest building '{name}', at least the fire separation of {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    };
    r
}
