//! `height_absolute`: the highest point of the building as an absolute elevation 绝对高程
//! (everything counts: rooftop rooms, masts) against absolute height-limit zones
//! (airport, microwave, heritage sight lines) the footprint touches.

use crate::context::{decide, fmt_m, needs_placement, result, Ctx};
use crate::geom::{geojson, polygons};
use crate::report::{CheckResult, Citation, Comparison, Status, Text, Unit};
use geo::{Geometry, Intersects};
use zhishen_site::Kind;

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "height_absolute",
        Text::new("绝对高程限高", "Absolute height limit"),
        Unit::M,
    );
    let absolute_zones: Vec<_> = ctx
        .site
        .of_kind(Kind::HeightZone)
        .filter(|f| f.attrs.get("absolute").and_then(|v| v.as_bool()) == Some(true))
        .collect();
    if absolute_zones.is_empty() {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "场地数据中没有绝对高程限高区",
            "the site package has no absolute-elevation height zones",
        );
        return r;
    }
    let Some(fp) = ctx.footprint() else {
        // Without a placement, only a parcel clear of every absolute zone is safe.
        let parcel = Geometry::MultiPolygon(ctx.parcel_poly.clone());
        if absolute_zones
            .iter()
            .any(|z| z.geometry.intersects(&parcel))
        {
            needs_placement(&mut r, ctx);
        } else {
            r.status = Status::NotApplicable;
            r.explanation = Text::new(
                "地块不在绝对高程限高区内",
                "the parcel lies outside every absolute height zone",
            );
        }
        return r;
    };
    let g = Geometry::MultiPolygon(fp.clone());
    let mut hits: Vec<(f64, String, String)> = Vec::new();
    for z in &absolute_zones {
        if polygons(&z.geometry).0.is_empty() || !z.geometry.intersects(&g) {
            continue;
        }
        let name = z.label();
        let Some(l) = z.number("limit_m") else {
            r.explanation = Text::new(
                format!("限高区「{name}」缺少限高值"),
                format!("height zone '{name}' has no limit"),
            );
            return r;
        };
        hits.push((l, name, z.file.clone()));
    }
    let Some((limit, name, file)) = hits.into_iter().min_by(|a, b| a.0.total_cmp(&b.0)) else {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "建筑不在绝对高程限高区内",
            "the building lies outside every absolute height zone",
        );
        return r;
    };
    r.clause = Some(Citation {
        level: "parcel".into(),
        profile: format!(
            "site:{}",
            std::path::Path::new(&file)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default()
        ),
        clause: format!("GB 50352-2019 §4.5.1 控制区 绝对高程限高 '{name}'"),
        unverified: false,
    });
    let (Some(top), Some(elev)) = (
        ctx.model.facts.highest_point_m,
        ctx.placed.and_then(|p| p.origin_elevation_m),
    ) else {
        r.limit = Some(limit);
        r.explanation = Text::new(
            format!("建筑位于绝对高程限高区「{name}」，但模型缺少绝对高程(请在 --place 给出高程)"),
            format!("the building is in absolute height zone '{name}' but its absolute elevation is unknown (give it in --place E,N,rot,elevation)"),
        );
        return r;
    };
    let abs_top = elev + top;
    decide(&mut r, abs_top, limit, Comparison::AtMost, &ctx.tol);
    r.details = serde_json::json!({"model_top_m": top, "origin_elevation_m": elev});
    if r.status == Status::Fail {
        r.evidence = Some(geojson(&g));
        r.elements = ctx.elements_above(limit - elev);
        r.elements_bbox = ctx.bbox_of(&r.elements);
        r.explanation = Text::new(
            format!(
                "最高点绝对高程 {} 超过限高区「{name}」{}",
                fmt_m(abs_top),
                fmt_m(limit)
            ),
            format!(
                "highest point at {} exceeds zone '{name}' limit {}",
                fmt_m(abs_top),
                fmt_m(limit)
            ),
        );
    } else {
        r.explanation = Text::new(
            format!(
                "最高点绝对高程 {} ≤ 限高区「{name}」{}",
                fmt_m(abs_top),
                fmt_m(limit)
            ),
            format!(
                "highest point at {} is within zone '{name}' limit {}",
                fmt_m(abs_top),
                fmt_m(limit)
            ),
        );
    }
    r
}
