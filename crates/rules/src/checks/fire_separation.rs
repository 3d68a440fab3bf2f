//! `fire_separation`: fire separation 防火间距 to existing buildings and between the
//! model's own buildings, each part by its own height class
//! (GB 50016-2014 表5.2.2): 13 m between high-rise buildings, 9 m between a high-rise and
//! a low or multi-storey one, 6 m between low and multi-storey buildings. High-rise:
//! residential above 27 m, other uses above 24 m. The planning height stands in for the
//! fire-code height; it is never lower, so the class is never understated.

use crate::context::{decide_distance, fmt_m, footprint_near_existing, result, Ctx};
use crate::neighbours;
use crate::report::{CheckResult, Status, Text, Unit};

/// Governing neighbour: distance, required, name, closest points.
type Best = (f64, f64, String, geo::Coord<f64>, geo::Coord<f64>);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "fire_separation",
        Text::new("防火间距", "Fire separation"),
        Unit::M,
    );
    if footprint_near_existing(&mut r, ctx).is_none() {
        return r;
    }
    let Some((rule, profile)) = ctx.profiles.pick(|p| p.fire_separation.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少防火间距",
            "no fire-separation rule in the profiles",
        );
        return r;
    };
    r.clause = Some(profile.cite(&rule.source.clause, rule.source.unverified));
    let high = |height: f64, residential: bool| {
        height
            > if residential {
                rule.high_rise_residential_m
            } else {
                rule.high_rise_public_m
            }
    };
    let parts = ctx.parts();
    let pairs = neighbours::pairs(ctx, &parts, rule.high_high_m + 1.0, true);
    let mut best: Option<Best> = None;
    let mut unknown = Vec::new();
    let mut rows = Vec::new();
    let mut ours_high = false;
    for p in pairs {
        let name = p.theirs.name;
        let Some(h) = p.ours.height_m else {
            unknown.push("本建筑 this building".to_string());
            continue;
        };
        let (a, b, d) = (p.a, p.b, p.distance);
        let Some(hn) = p.theirs.height_m else {
            unknown.push(name);
            continue;
        };
        let we_high = high(h, ctx.is_residential());
        ours_high |= we_high;
        let req = match (we_high, high(hn, p.theirs.residential)) {
            (true, true) => rule.high_high_m,
            (false, false) => rule.low_low_m,
            _ => rule.high_low_m,
        };
        rows.push(serde_json::json!({"building": name, "distance_m": d, "required_m": req, "height_m": hn, "part_height_m": h}));
        if best
            .as_ref()
            .is_none_or(|(bd, breq, ..)| d - req < bd - breq)
        {
            best = Some((d, req, name, a, b));
        }
    }
    unknown.sort();
    unknown.dedup();
    r.details =
        serde_json::json!({"neighbours": rows, "high_rise": ours_high, "unknown_height": unknown});
    let Some((d, req, name, a, b)) = best else {
        if unknown.is_empty() {
            r.status = Status::NotApplicable;
            r.explanation = Text::new("附近没有其他建筑", "no other building nearby");
            return r;
        }
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
