//! `land_use`: the building's uses against the parcel's land-use code 用地性质 (2023
//! 用地用海 codes or GB 50137 classes, mixed codes allowed) and the profile's 适建表:
//! a use the land class allows passes; a compatible use passes up to its GFA share;
//! anything else fails.

use crate::context::{decide, fmt_pct, result, Ctx};
use crate::report::{CheckResult, Comparison, Status, Text, Unit};
use crate::uses::{label_zh, land_classes};

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "land_use",
        Text::new("用地性质兼容", "Land-use compatibility"),
        Unit::Ratio,
    );
    let Some(code) = ctx.parcel.text("land_use") else {
        r.clause = Some(ctx.parcel_cite("land_use"));
        r.explanation = Text::new(
            format!("地块 {} 缺少用地性质", ctx.parcel_id()),
            format!("parcel {} has no land-use code", ctx.parcel_id()),
        );
        return r;
    };
    let Some((table, profile)) = ctx.profiles.pick(|p| p.land_use.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少用地兼容表",
            "no land-use table in the rule profiles",
        );
        return r;
    };
    r.clause = Some(profile.cite(&table.source.clause, table.source.unverified));
    let classes = match land_classes(code, table) {
        Ok(c) => c,
        Err(unknown) => {
            r.explanation = Text::new(
                format!("用地性质代码 {} 无法识别", unknown.join("、")),
                format!("land-use code {} is not recognised", unknown.join(", ")),
            );
            return r;
        }
    };
    if ctx.use_shares.is_empty() {
        r.explanation = Text::new("未能确定建筑用途", "the building use is not known");
        return r;
    }
    // For each use: allowed outright, or compatible up to a share, or not allowed (limit 0).
    let mut rows = Vec::new();
    let mut worst: Option<(f64, f64, &str, Status)> = None; // (excess, limit, category, status)
    for u in &ctx.use_shares {
        let main = classes.iter().any(|c| {
            table
                .allowed
                .get(c)
                .is_some_and(|a| a.uses.iter().any(|x| x == &u.category))
        });
        let cap = if main {
            1.0
        } else {
            classes
                .iter()
                .filter_map(|c| {
                    table
                        .allowed
                        .get(c)
                        .and_then(|a| a.compatible.get(&u.category))
                })
                .fold(0.0f64, |a, b| a.max(*b))
        };
        let (status, measured) = match u.share {
            _ if main => (Status::Pass, u.share.unwrap_or(1.0)),
            Some(s) => {
                let (st, _) =
                    crate::context::judge(s, cap, Comparison::AtMost, Unit::Ratio, &ctx.tol);
                (st, s)
            }
            None if cap == 0.0 => (Status::Fail, 1.0),
            None => (Status::Unverifiable, f64::NAN),
        };
        rows.push(serde_json::json!({"use": u.category, "share": u.share, "allowed_share": cap, "status": status}));
        let excess = if measured.is_nan() {
            0.0
        } else {
            measured - cap
        };
        let rank = |s: Status| match s {
            Status::Fail => 3,
            Status::Unverifiable => 2,
            _ => 1,
        };
        let replace = match worst {
            None => true,
            Some((we, _, _, ws)) => {
                rank(status) > rank(ws) || (rank(status) == rank(ws) && excess > we)
            }
        };
        if replace {
            worst = Some((excess, cap, u.category.as_str(), status));
        }
    }
    r.details = serde_json::json!({"parcel_code": code, "land_classes": classes, "uses": rows});
    let Some((_, cap, cat, status)) = worst else {
        return r;
    };
    let share = ctx
        .use_shares
        .iter()
        .find(|u| u.category == cat)
        .and_then(|u| u.share);
    let elements: Vec<String> = ctx
        .uses
        .iter()
        .filter(|u| u.category == cat)
        .filter_map(|u| u.source.strip_prefix("IfcSpace ").map(str::to_string))
        .collect();
    r.elements = if elements.is_empty() {
        ctx.model
            .buildings
            .iter()
            .map(|b| b.node.global_id.clone())
            .collect()
    } else {
        elements
    };
    r.elements_bbox = ctx.bbox_of(&r.elements);
    match status {
        Status::Unverifiable => {
            r.explanation = Text::new(
                format!(
                    "{}为兼容用途(≤{})，但其建筑面积占比未知",
                    label_zh(cat),
                    fmt_pct(cap)
                ),
                format!(
                    "{cat} is a compatible use (≤ {}) but its share of the GFA is unknown",
                    fmt_pct(cap)
                ),
            );
        }
        _ => {
            decide(
                &mut r,
                share.unwrap_or(1.0),
                cap,
                Comparison::AtMost,
                &ctx.tol,
            );
            r.status = status;
            let m = share.unwrap_or(1.0);
            if status == Status::Fail {
                // The offending polygon: the building where it stands, else the parcel.
                let g = ctx
                    .footprint()
                    .cloned()
                    .unwrap_or_else(|| ctx.parcel_poly.clone());
                r.evidence = Some(crate::geom::geojson(&geo::Geometry::MultiPolygon(g)));
            }
            r.explanation = if status == Status::Fail && cap == 0.0 {
                Text::new(
                    format!(
                        "{}用途不得建于用地性质 {} 的地块 {}",
                        label_zh(cat),
                        code,
                        ctx.parcel_id()
                    ),
                    format!(
                        "{cat} use is not allowed on {code} land (parcel {})",
                        ctx.parcel_id()
                    ),
                )
            } else if status == Status::Fail {
                Text::new(
                    format!(
                        "{}用途占比 {} 超过兼容上限 {}",
                        label_zh(cat),
                        fmt_pct(m),
                        fmt_pct(cap)
                    ),
                    format!(
                        "{cat} share {} exceeds the compatible maximum {}",
                        fmt_pct(m),
                        fmt_pct(cap)
                    ),
                )
            } else {
                Text::new(
                    format!("建筑用途符合用地性质 {code}"),
                    format!("the building uses are allowed on {code} land"),
                )
            };
        }
    }
    r
}
