//! `height_planning`: planning height 建筑高度 (GB 50352-2019 §4.5: flat roof to the parapet
//! top, pitched roof to the eave/ridge mean, small rooftop rooms excluded) against the
//! strictest of the parcel's `height_max`, the relative height-limit zones 限高区 the
//! footprint touches, and the national residential ceiling.

use crate::context::{decide, fmt_m, result, Ctx};
use crate::geom::{geojson, polygons};
use crate::report::{CheckResult, Citation, Comparison, Status, Text, Unit};
use geo::{Geometry, Intersects};
use zhishen_site::Kind;

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "height_planning",
        Text::new("建筑高度", "Building height (planning)"),
        Unit::M,
    );
    let Some(h) = ctx.height() else {
        r.explanation = Text::new(
            "无法从模型确定建筑高度",
            "the building height could not be determined from the model",
        );
        return r;
    };
    let mut limits: Vec<(f64, Citation, String)> = Vec::new();
    if let Some(v) = ctx.parcel.number("height_max") {
        limits.push((
            v,
            ctx.parcel_cite("height_max"),
            format!("地块 {} 限高", ctx.parcel_id()),
        ));
    }
    // Zones: relative ones bind the planning height; absolute ones are height_absolute's.
    let area = ctx.footprint().map(|f| Geometry::MultiPolygon(f.clone()));
    let probe = area
        .clone()
        .unwrap_or_else(|| Geometry::MultiPolygon(ctx.parcel_poly.clone()));
    let mut unsure = Vec::new();
    for z in ctx.site.within(Kind::HeightZone, &probe, 0.0) {
        let name = z.label();
        if polygons(&z.geometry).0.is_empty() || !z.geometry.intersects(&probe) {
            continue;
        }
        match (
            z.attrs.get("absolute").and_then(|v| v.as_bool()),
            z.number("limit_m"),
        ) {
            (Some(true), _) => {}
            (Some(false), Some(l)) if area.is_some() => limits.push((
                l,
                Citation {
                    level: "parcel".into(),
                    profile: format!(
                        "site:{}",
                        std::path::Path::new(&z.file)
                            .file_name()
                            .map(|f| f.to_string_lossy().to_string())
                            .unwrap_or_default()
                    ),
                    clause: format!("限高区 height zone '{name}'"),
                    unverified: false,
                },
                format!("限高区「{name}」"),
            )),
            // Without a placement a zone touching the parcel may or may not bind.
            (Some(false), Some(l)) => unsure.push((name, Some(l))),
            _ => unsure.push((name, None)),
        }
    }
    if ctx.is_residential() {
        if let Some((sec, p)) = ctx.profiles.pick(|p| p.height.as_ref()) {
            if let Some(v) = sec.residential_max_m {
                limits.push((
                    v,
                    p.cite(&sec.source.clause, sec.source.unverified),
                    "住宅高度上限".into(),
                ));
            }
        }
    }
    let Some((limit, cite, what)) = limits.into_iter().min_by(|a, b| a.0.total_cmp(&b.0)) else {
        if !unsure.is_empty() {
            r.explanation = Text::new(
                "建筑未落位或限高区数据不全，无法确定限高",
                "the height limit depends on a zone that cannot be resolved",
            );
            return r;
        }
        r.status = Status::NotApplicable;
        r.measured = Some(h);
        r.explanation = Text::new(
            "地块与限高区均未规定高度上限",
            "neither the parcel nor a height zone limits the height",
        );
        return r;
    };
    decide(&mut r, h, limit, Comparison::AtMost, &ctx.tol);
    r.clause = Some(cite);
    // A stricter zone that could not be resolved makes a pass unsafe.
    if r.status == Status::Pass && unsure.iter().any(|(_, l)| l.is_none_or(|l| l < limit)) {
        r.status = Status::Unverifiable;
        let zones: Vec<&str> = unsure.iter().map(|u| u.0.as_str()).collect();
        r.explanation = Text::new(
            format!(
                "高度 {} ≤ {what} {}，但限高区 {} 无法核验",
                fmt_m(h),
                fmt_m(limit),
                zones.join("、")
            ),
            format!(
                "height {} ≤ {}, but zone {} cannot be resolved",
                fmt_m(h),
                fmt_m(limit),
                zones.join(", ")
            ),
        );
        return r;
    }
    let method = ctx
        .model
        .facts
        .height_method
        .as_ref()
        .map(|m| format!("{m:?}"))
        .unwrap_or_default();
    r.details = serde_json::json!({"method": method, "notes": ctx.model.facts.height_notes});
    if r.status == Status::Fail {
        if let Some(f) = ctx.footprint() {
            r.evidence = Some(geojson(&Geometry::MultiPolygon(f.clone())));
        }
        let ground = ctx.model.facts.ground_m.unwrap_or(0.0);
        r.elements = ctx.elements_above(ground + limit);
        r.elements_bbox = ctx.bbox_of(&r.elements);
        r.explanation = Text::new(
            format!("建筑高度 {} 超过{what} {}", fmt_m(h), fmt_m(limit)),
            format!(
                "building height {} exceeds the limit of {}",
                fmt_m(h),
                fmt_m(limit)
            ),
        );
    } else {
        r.explanation = Text::new(
            format!("建筑高度 {} ≤ {what} {}", fmt_m(h), fmt_m(limit)),
            format!(
                "building height {} is within the limit of {}",
                fmt_m(h),
                fmt_m(limit)
            ),
        );
    }
    r
}
