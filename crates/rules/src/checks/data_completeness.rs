//! `data_completeness`: the model has storeys with elevations, a placement on the site
//! (georeferencing or `--place`), a building use, and every building element's geometry
//! (`facts.missing_geometry`, see `missing.rs`). Each missing item makes the checks that
//! depend on it `unverifiable`; this check fails and lists them.

use crate::context::{result, Ctx};
use crate::report::{CheckResult, Comparison, Status, Text, Unit};

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "data_completeness",
        Text::new("数据完整性", "Data completeness"),
        Unit::Count,
    );
    let missing = missing_items(ctx, &mut r);
    let n = missing.len() as f64;
    r.measured = Some(n);
    r.limit = Some(0.0);
    r.comparison = Some(Comparison::AtMost);
    r.clause = Some(
        ctx.profiles
            .stack
            .last()
            .map(|p| p.cite("报建BIM模型交付要求: 楼层标高、地理参照、建筑用途", false))
            .unwrap_or_else(|| ctx.parcel_cite("-")),
    );
    if missing.is_empty() {
        r.status = Status::Pass;
        r.explanation = Text::new(
            "楼层标高、落位和建筑用途齐全",
            "storey elevations, placement and building use are present",
        );
    } else {
        r.status = Status::Fail;
        r.explanation = Text::new(
            format!(
                "缺少{}项: {}",
                missing.len(),
                missing
                    .iter()
                    .map(|x| x.0.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            format!(
                "{} item(s) missing: {}",
                missing.len(),
                missing
                    .iter()
                    .map(|x| x.1.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
        r.details =
            serde_json::json!({ "missing": missing.iter().map(|x| &x.1).collect::<Vec<_>>() });
    }
    r
}

/// Each missing item as (Chinese, English); the GlobalIds of building elements without
/// geometry go to `r.elements`.
fn missing_items(ctx: &Ctx, r: &mut CheckResult) -> Vec<(String, String)> {
    let mut missing: Vec<(String, String)> = Vec::new();
    let m = ctx.model;
    if m.storeys.is_empty() {
        missing.push((
            "模型没有楼层 (IfcBuildingStorey)".into(),
            "the model has no storeys (IfcBuildingStorey)".into(),
        ));
    } else {
        let no_level: Vec<String> = m
            .storeys
            .iter()
            .filter(|s| s.level_m().is_none())
            .map(|s| {
                s.node
                    .name
                    .clone()
                    .unwrap_or_else(|| s.node.global_id.clone())
            })
            .collect();
        if !no_level.is_empty() {
            missing.push((
                format!("楼层缺少标高: {}", no_level.join(", ")),
                format!("storeys without an elevation: {}", no_level.join(", ")),
            ));
        }
    }
    if ctx.placed.is_none() {
        let why = ctx.placement_problem.clone().unwrap_or_default();
        missing.push((
            format!("无地理参照且未给出 --place 落位 ({why})"),
            format!("no georeferencing and no --place placement ({why})"),
        ));
    }
    if ctx.use_shares.is_empty() {
        missing.push((
            "未能确定建筑用途 (Pset_BuildingCommon.OccupancyType、IfcSpace 用途或 --use)".into(),
            "no building use (Pset_BuildingCommon.OccupancyType, IfcSpace uses or --use)".into(),
        ));
    }
    let lost = &m.facts.missing_geometry;
    if !lost.is_empty() {
        let who = crate::missing::names(lost, true);
        missing.push((
            format!("{} 个建筑构件的几何无法读取: {}", lost.len(), who.zh),
            format!(
                "the geometry of {} building elements could not be read: {}",
                lost.len(),
                who.en
            ),
        ));
        r.elements.extend(
            (lost.iter())
                .filter(|g| !g.global_id.is_empty())
                .map(|g| g.global_id.clone()),
        );
    }
    if m.facts.height_m.is_none() {
        missing.push((
            "无法确定建筑高度".into(),
            "the building height could not be determined".into(),
        ));
    }
    missing
}
