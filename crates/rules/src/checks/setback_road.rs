//! `setback_road`: distance from the above-ground footprint (its outer edge: cantilevers,
//! balconies and canopies included) to each road red line 道路红线 against the required
//! setback: the parcel's `setback_road_min` when the 规划条件 gives one, else the city
//! table by road width × height × use, with the podium 裙房 and the tower 塔楼 (each part
//! of the building) measured against the row for its own height.

use crate::context::{decide_distance, fmt_m, needs_placement, result, Ctx, PartGeom};
use crate::geom::closest_points;
use crate::profile::{SetbackRoad, UseClass};
use crate::report::{CheckResult, Citation, Status, Text, Unit};
use geo::Geometry;
use zhishen_site::Kind;

/// Required setback from the city table, or None when no row fits.
pub fn table_setback(
    t: &SetbackRoad,
    width: Option<f64>,
    height: f64,
    residential: bool,
) -> Option<f64> {
    let class = if residential {
        UseClass::Residential
    } else {
        UseClass::Public
    };
    // An unknown width could be a wide road: no guess.
    let w = width?;
    t.rows
        .iter()
        .filter(|r| r.use_class == class || r.use_class == UseClass::Any)
        .filter(|r| height <= r.height_max && w >= r.width_min && w < r.width_max)
        .min_by(|a, b| a.height_max.total_cmp(&b.height_max))
        .map(|r| r.setback_m)
        .or_else(|| {
            // Narrower than every row of this use: the default applies; higher than every row: none.
            let narrower = t.rows.iter().all(|r| w < r.width_min);
            if narrower {
                t.default_m
            } else {
                None
            }
        })
}

/// Governing road: distance, required, citation, name, closest points.
type Best = (
    f64,
    f64,
    Citation,
    String,
    (geo::Coord<f64>, geo::Coord<f64>),
);

/// Every road near the footprint against every part: the governing pair, the rows of
/// the details, and the roads whose requirement is unknown.
struct Measured {
    best: Option<Best>,
    rows: Vec<serde_json::Value>,
    unknown: Vec<String>,
}

fn measure(
    ctx: &Ctx,
    fp: &geo::MultiPolygon<f64>,
    parcel_min: Option<f64>,
    residential: bool,
) -> Measured {
    let table = ctx.profiles.pick(|p| p.setback_road.as_ref());
    let height = ctx.height();
    let search = parcel_min
        .into_iter()
        .chain(
            table
                .iter()
                .flat_map(|(t, _)| t.rows.iter().map(|r| r.setback_m).chain(t.default_m)),
        )
        .fold(0.0f64, f64::max)
        + 1.0;
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    let mut candidates = ctx.site.within(Kind::RoadRedLine, &fp_geom, search);
    if candidates.is_empty() {
        if let Some((f, _)) = ctx.site.nearest(Kind::RoadRedLine, &fp_geom) {
            candidates.push(f);
        }
    }
    // A height-dependent table measures each part (podium, tower) against its own row;
    // a parcel minimum holds for the whole footprint.
    let parts = match (parcel_min, ctx.parts()) {
        (None, parts) if !parts.is_empty() => parts,
        _ => vec![PartGeom {
            geom: fp_geom.clone(),
            height_m: height,
            building: None,
        }],
    };
    let mut best: Option<Best> = None;
    let mut rows = Vec::new();
    let mut unknown = Vec::new();
    for road in candidates {
        let name = road.label();
        let width = road.number("width");
        for part in &parts {
            let Some((a, b, d)) = closest_points(&part.geom, &road.geometry) else {
                continue;
            };
            let (req, cite) = match (parcel_min, &table, part.height_m) {
                (Some(v), _, _) => (Some(v), ctx.parcel_cite("setback_road_min")),
                (None, Some((t, p)), Some(h)) => (
                    table_setback(t, width, h, residential),
                    p.cite(&t.source.clause, t.source.unverified),
                ),
                _ => (None, ctx.parcel_cite("setback_road_min")),
            };
            rows.push(serde_json::json!({"road": name, "width_m": width, "part_height_m": part.height_m, "distance_m": d, "required_m": req}));
            let Some(req) = req else {
                unknown.push(name.clone());
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(bd, breq, ..)| d - req < bd - breq)
            {
                best = Some((d, req, cite, name.clone(), (a, b)));
            }
        }
    }
    Measured {
        best,
        rows,
        unknown,
    }
}

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "setback_road",
        Text::new("退道路红线", "Setback from road red lines"),
        Unit::M,
    );
    let Some(fp) = ctx.footprint() else {
        needs_placement(&mut r, ctx);
        return r;
    };
    if ctx.site.count(Kind::RoadRedLine) == 0 {
        r.explanation = Text::new(
            "场地数据没有道路红线图层",
            "the site package has no road red lines",
        );
        return r;
    }
    let residential = ctx.is_residential();
    let m = measure(ctx, fp, ctx.parcel.number("setback_road_min"), residential);
    let (best, rows, mut unknown) = (m.best, m.rows, m.unknown);
    unknown.sort();
    unknown.dedup();
    let height = ctx.height();
    r.details =
        serde_json::json!({"roads": rows, "building_height_m": height, "residential": residential});
    let Some((d, req, cite, name, (a, b))) = best else {
        r.explanation = Text::new(
            format!("无法确定退线要求(缺少建筑高度或道路宽度): {}", unknown.join("、")),
            format!("no required setback could be determined (building height or road width missing): {}", unknown.join(", ")),
        );
        return r;
    };
    // A road without a known requirement could still be violated.
    decide_distance(&mut r, ctx, d, req, a, b, !unknown.is_empty());
    r.clause = Some(cite);
    r.explanation = match r.status {
        Status::Fail => Text::new(
            format!("距{name}道路红线 {} < 要求 {}", fmt_m(d), fmt_m(req)),
            format!(
                "{} from the {name} red line, less than the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        ),
        Status::Unverifiable => Text::new(
            format!(
                "距{name} {} ≥ {}，但 {} 的退线要求无法确定",
                fmt_m(d),
                fmt_m(req),
                unknown.join("、")
            ),
            format!(
                "{} from {name} ≥ {}, but the setback from {} is unknown",
                fmt_m(d),
                fmt_m(req),
                unknown.join(", ")
            ),
        ),
        _ => Text::new(
            format!(
                "距最近控制道路{name}红线 {} ≥ 要求 {}",
                fmt_m(d),
                fmt_m(req)
            ),
            format!(
                "{} from the governing road {name}, at least the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        ),
    };
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profiles;

    #[test]
    fn city_table_cells() {
        let p = Profiles::builtin().unwrap();
        let (t, _) = p.pick(|p| p.setback_road.as_ref()).unwrap();
        // Residential ≤ 27 m: W ≥ 40 → 8, 24-32 → 5; 27-80 m: 32-40 → 12.
        assert_eq!(table_setback(t, Some(60.0), 16.4, true), Some(8.0));
        assert_eq!(table_setback(t, Some(30.0), 16.4, true), Some(5.0));
        assert_eq!(table_setback(t, Some(35.0), 40.0, true), Some(12.0));
        // Public 24-50 m on a 20 m road → 10.
        assert_eq!(table_setback(t, Some(20.0), 30.0, false), Some(10.0));
        // Narrow road → default 3; too tall for the table → none.
        assert_eq!(table_setback(t, Some(8.0), 10.0, true), Some(3.0));
        assert_eq!(table_setback(t, Some(30.0), 120.0, true), None);
        assert_eq!(table_setback(t, None, 10.0, true), None);
    }
}
