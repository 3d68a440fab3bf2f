//! `far`: floor-area ratio 容积率 = 计容建筑面积 / parcel area. Above-ground storeys only
//! (basements excluded); a storey lower than 2.2 m counts at half (GB/T 50353); a storey
//! higher than its use's base height counts several times (层高超限倍算, city profile).
//! The storey height is floor to the next level of the same building; the top storey is
//! measured to the top of its roof slab (结构层高, parapets left out), and under a
//! pitched roof counts once.

use crate::context::{decide, fmt_ratio, result, Ctx};
use crate::report::{CheckResult, Citation, Comparison, Status, Text, Unit};
use zhishen_ifc::HeightMethod;

/// 计容 area (m²) with its per-storey table, or why it cannot be computed.
pub fn far_area(ctx: &Ctx) -> Result<(f64, Vec<serde_json::Value>, Vec<Citation>), Text> {
    let facts = &ctx.model.facts;
    let Some((far, profile)) = ctx.profiles.pick(|p| p.far.as_ref()) else {
        return Err(Text::new(
            "规则配置缺少计容规则",
            "no FAR counting rule in the profiles",
        ));
    };
    let mut cites = vec![profile.cite(&far.source.clause, far.source.unverified)];
    if let Some(m) = &far.multiplier {
        cites.push(profile.cite(&m.clause, m.unverified));
    }
    let use_cat = ctx.main_use.clone().unwrap_or_else(|| "default".into());
    let mut total = 0.0;
    let mut rows = Vec::new();
    let mut counted = 0;
    for s in facts.gfa_by_storey.iter().filter(|s| s.above_ground) {
        let Some(gfa) = s.gfa_m2 else { continue };
        let name = s.name.clone().unwrap_or_else(|| s.global_id.clone());
        let Some(z) = s.elevation_m else {
            return Err(Text::new(
                format!("楼层 {name} 缺少标高"),
                format!("storey {name} has no elevation"),
            ));
        };
        // The next level of the same building.
        let next = ctx
            .model
            .storeys
            .iter()
            .filter(|o| o.building == s.building)
            .filter_map(|o| o.level_m())
            .filter(|l| *l > z + 0.01)
            .reduce(f64::min);
        let (h, how) = match next {
            Some(n) => (Some(n - z), "floor_to_floor"),
            None => match (
                facts.height_method.as_ref(),
                s.roof_top_m,
                facts.height_m,
                facts.ground_m,
            ) {
                (Some(HeightMethod::PitchedRoof), ..) => (None, "top_under_pitched_roof"),
                // 结构层高: to the top of the roof slab, parapets left out.
                (_, Some(top), ..) => (Some(top - z), "top_to_roof_slab"),
                (_, None, Some(hm), Some(g)) => (Some(g + hm - z), "top_to_roof"),
                _ => (None, "top_unknown"),
            },
        };
        let mut factor = 1.0;
        let mut mult = 1.0;
        if let Some(h) = h {
            if h < far.low_storey_height_m {
                factor = far.low_storey_factor;
            }
            if let Some(m) = &far.multiplier {
                let base = m
                    .base_height_m
                    .get(&use_cat)
                    .or_else(|| m.base_height_m.get("default"))
                    .copied()
                    .unwrap_or(f64::INFINITY);
                if h - base > 1e-6 {
                    mult = 1.0 + ((h - base) / m.step_m - 1e-9).ceil().max(0.0);
                }
            }
        }
        let counted_area = gfa * factor * mult;
        total += counted_area;
        counted += 1;
        rows.push(serde_json::json!({
            "storey": name, "elevation_m": z, "storey_height_m": h, "height_from": how,
            "gfa_m2": gfa, "factor": factor, "multiplier": mult, "counted_m2": counted_area,
        }));
    }
    if counted == 0 {
        return Err(Text::new(
            "模型没有可计算面积的地上楼层",
            "the model has no above-ground storey with an area",
        ));
    }
    Ok((total, rows, cites))
}

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "far",
        Text::new("容积率", "Floor-area ratio (FAR)"),
        Unit::Ratio,
    );
    let max = ctx.parcel.number("far_max");
    let min = ctx.parcel.number("far_min");
    if max.is_none() && min.is_none() {
        r.clause = Some(ctx.parcel_cite("far_max"));
        r.explanation = Text::new(
            format!("地块 {} 未给出容积率指标", ctx.parcel_id()),
            format!("parcel {} gives no FAR limit", ctx.parcel_id()),
        );
        return r;
    }
    let (area, rows, cites) = match far_area(ctx) {
        Ok(x) => x,
        Err(why) => {
            r.explanation = why;
            return r;
        }
    };
    let far = area / ctx.parcel_area;
    r.details = serde_json::json!({"far_area_m2": area, "parcel_area_m2": ctx.parcel_area, "storeys": rows, "rules": cites});
    // The bound that is violated, else the maximum.
    let (limit, cmp, field) = match (max, min) {
        (_, Some(lo)) if far < lo => (lo, Comparison::AtLeast, "far_min"),
        (Some(hi), _) => (hi, Comparison::AtMost, "far_max"),
        (None, Some(lo)) => (lo, Comparison::AtLeast, "far_min"),
        (None, None) => unreachable!("handled above"),
    };
    decide(&mut r, far, limit, cmp, &ctx.tol);
    r.clause = Some(ctx.parcel_cite(field));
    if r.status == Status::Fail {
        r.evidence = Some(crate::geom::geojson(&geo::Geometry::MultiPolygon(
            ctx.parcel_poly.clone(),
        )));
        r.elements = ctx
            .model
            .elements
            .iter()
            .filter(|e| {
                e.ifc_class.starts_with("IfcSlab") && e.predefined_type.as_deref() != Some("ROOF")
            })
            .map(|e| e.global_id.clone())
            .take(crate::context::MAX_ELEMENTS)
            .collect();
        r.elements_bbox = ctx.bbox_of(&r.elements);
    }
    let (zh, en) = match (r.status, cmp) {
        (Status::Fail, Comparison::AtMost) => ("超过上限", "exceeds the maximum"),
        (Status::Fail, Comparison::AtLeast) => ("低于下限", "is below the minimum"),
        (_, Comparison::AtMost) => ("不超过上限", "is within the maximum"),
        (_, Comparison::AtLeast) => ("不低于下限", "meets the minimum"),
        // FAR limits are bounds; `Matches` is for declared figures.
        (Status::Fail, Comparison::Matches) => ("不符", "does not match"),
        (_, Comparison::Matches) => ("相符", "matches"),
    };
    r.explanation = Text::new(
        format!(
            "容积率 {} (计容面积 {area:.2} m² / 用地 {:.2} m²) {zh} {}",
            fmt_ratio(far),
            ctx.parcel_area,
            fmt_ratio(limit)
        ),
        format!(
            "FAR {} ({area:.2} m² counted / {:.2} m² site) {en} {}",
            fmt_ratio(far),
            ctx.parcel_area,
            fmt_ratio(limit)
        ),
    );
    r
}
