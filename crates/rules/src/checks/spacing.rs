//! `spacing`: residential spacing 住宅建筑间距 to existing buildings and between the
//! model's own buildings, each facing part by its own height. Facing pairs (the
//! neighbour within the profile's sector of due north or south) need k × H of the southern
//! (obstructing) building and at least `min_m` when the northern one is residential;
//! side-by-side pairs with a residential building need the gable 山墙 minimum. A pre-check
//! for sunlight 日照, which governs where a city requires an analysis.

use crate::context::{decide_distance, fmt_m, footprint_near_existing, result, Ctx};
use crate::neighbours::{self, Pair};
use crate::profile::Spacing;
use crate::report::{CheckResult, Status, Text, Unit};
use geo::Centroid;

/// Above this height a building counts as high-rise for the gable 山墙
/// minimum (the residential high-rise line of GB 50016-2014 §2.1.1).
const GABLE_HIGH_RISE_M: f64 = 27.0;

/// What one pair must keep apart.
enum Required {
    /// No spacing rule applies (the northern building is not residential).
    Exempt,
    /// A height the rule needs is not known.
    Unknown,
    Metres {
        req: f64,
        why: String,
        facing: bool,
    },
}

/// The spacing a part at height `h` and its neighbour need: facing pairs (within the
/// sector of due north or south) k × H of the southern one when the northern one is
/// residential, side-by-side pairs the gable minimum.
fn required(rule: &Spacing, p: &Pair, h: f64, ours_res: bool) -> Required {
    let (Some(c0), Some(c1)) = (p.ours.geom.centroid(), p.theirs.geom.centroid()) else {
        return Required::Exempt;
    };
    let hn = p.theirs.height_m;
    // Angle of the neighbour from due north or south, in degrees.
    let (dx, dy) = (c1.x() - c0.x(), c1.y() - c0.y());
    let facing = dx.abs().atan2(dy.abs()).to_degrees() <= rule.facing_sector_deg;
    if facing {
        let (north_res, south_h) = if c0.y() < c1.y() {
            (p.theirs.residential, Some(h))
        } else {
            (ours_res, hn)
        };
        match (north_res, south_h) {
            (false, _) => Required::Exempt,
            (true, None) => Required::Unknown,
            (true, Some(sh)) => Required::Metres {
                req: (rule.k * sh).max(rule.min_m),
                why: format!("k·H = {:.2} × {:.2}", rule.k, sh),
                facing,
            },
        }
    } else {
        let Some(hn) = hn else {
            return Required::Unknown;
        };
        let high = h > GABLE_HIGH_RISE_M || hn > GABLE_HIGH_RISE_M;
        Required::Metres {
            req: if high {
                rule.gable_min_high_rise_m
            } else {
                rule.gable_min_m
            },
            why: "gable".into(),
            facing,
        }
    }
}

/// Governing pair: distance, required, name, basis, closest points.
type Best = (f64, f64, String, String, geo::Coord<f64>, geo::Coord<f64>);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "spacing",
        Text::new("建筑间距(日照间距)", "Residential spacing"),
        Unit::M,
    );
    if footprint_near_existing(&mut r, ctx).is_none() {
        return r;
    }
    let Some((rule, profile)) = ctx.profiles.pick(|p| p.spacing.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少间距系数",
            "no spacing coefficient in the rule profiles",
        );
        return r;
    };
    r.clause = Some(profile.cite(&rule.source.clause, rule.source.unverified));
    let ours_res = ctx.is_residential();
    let parts = ctx.parts();
    let mut best: Option<Best> = None;
    let mut rows = Vec::new();
    let mut unknown = Vec::new();
    for p in neighbours::pairs(ctx, &parts, rule.search_m, false) {
        let name = p.theirs.name.clone();
        let theirs_res = p.theirs.residential;
        if !ours_res && !theirs_res {
            continue;
        }
        let Some(h) = p.ours.height_m else {
            unknown.push("本建筑 this building".to_string());
            continue;
        };
        let (a, b, d) = (p.a, p.b, p.distance);
        let (req, why, facing) = match required(rule, &p, h, ours_res) {
            Required::Exempt => continue,
            Required::Unknown => {
                unknown.push(name);
                continue;
            }
            Required::Metres { req, why, facing } => (req, why, facing),
        };
        rows.push(serde_json::json!({"building": name, "distance_m": d, "required_m": req, "facing": facing, "basis": why, "part_height_m": h}));
        if best
            .as_ref()
            .is_none_or(|(bd, breq, ..)| d - req < bd - breq)
        {
            best = Some((d, req, name, why, a, b));
        }
    }
    unknown.sort();
    unknown.dedup();
    r.details = serde_json::json!({"pairs": rows, "unknown_height": unknown});
    let Some((d, req, name, why, a, b)) = best else {
        if !unknown.is_empty() {
            r.explanation = Text::new(
                format!("相邻建筑缺少高度: {}", unknown.join("、")),
                format!("neighbours without a height: {}", unknown.join(", ")),
            );
        } else {
            r.status = Status::NotApplicable;
            r.explanation = Text::new(
                format!("{} m 内没有需控制日照间距的住宅", rule.search_m),
                format!("no residential pair within {} m", rule.search_m),
            );
        }
        return r;
    };
    decide_distance(&mut r, ctx, d, req, a, b, !unknown.is_empty());
    r.explanation = if r.status == Status::Fail {
        Text::new(
            format!(
                "与「{name}」间距 {} < 要求 {} ({why})",
                fmt_m(d),
                fmt_m(req)
            ),
            format!(
                "{} from '{name}', less than the required {} ({why})",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    } else {
        Text::new(
            format!(
                "与「{name}」间距 {} ≥ 要求 {} ({why})",
                fmt_m(d),
                fmt_m(req)
            ),
            format!(
                "{} from '{name}', at least the required {} ({why})",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    };
    r
}
