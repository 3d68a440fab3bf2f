//! `declared_*`: 申报指标核对, the figures an application declares against the model's.
//!
//! Why: an approver signs the permit for the figures on the application form (GFA, 计容
//! area, height, storeys, 基底面积, main use), while the checks measure the model. When the
//! two disagree, either the form or the model is not the building being approved, and
//! both values must be in front of the clerk and the reviewer. One result per declared
//! figure, appended after the planning checks only when something was declared; a figure
//! the model cannot give is `unverifiable`, never a match.
//!
//! Tolerance: the profile's `[declared]` section (areas relative to the declared value,
//! height in metres), storeys and the use exactly; without the section, the review's
//! general tolerance.

use crate::context::{decide, fmt_m, result, Ctx};
use crate::geom::geojson;
use crate::profile::Tolerance;
use crate::report::{CheckResult, Citation, Comparison, Declared, Status, Text, Unit};
use crate::uses;

/// Default clause when no profile has a `[declared]` section.
const CLAUSE: &str = "中华人民共和国行政许可法 第三十一条 (如实提交材料、反映真实情况)";

/// The one tolerance of these checks, and the clause it comes with.
fn tolerance(ctx: &Ctx) -> (Tolerance, Citation) {
    match ctx.profiles.pick(|p| p.declared.as_ref()) {
        Some((d, p)) => (
            Tolerance {
                distance_m: d.height_m,
                area_relative: d.area_relative,
            },
            p.cite(&d.source.clause, d.source.unverified),
        ),
        None => (
            ctx.tol.clone(),
            Citation {
                level: "national".into(),
                profile: "builtin".into(),
                clause: CLAUSE.into(),
                unverified: false,
            },
        ),
    }
}

/// What one figure is called and how it is measured.
struct Figure {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    unit: Unit,
}

const GFA: Figure = Figure {
    id: "declared_gfa",
    zh: "总建筑面积",
    en: "gross floor area",
    unit: Unit::M2,
};
const FAR_AREA: Figure = Figure {
    id: "declared_far_area",
    zh: "计容建筑面积",
    en: "floor area counted for FAR",
    unit: Unit::M2,
};
const HEIGHT: Figure = Figure {
    id: "declared_height",
    zh: "建筑高度",
    en: "building height",
    unit: Unit::M,
};
const ABOVE: Figure = Figure {
    id: "declared_storeys_above",
    zh: "地上层数",
    en: "storeys above ground",
    unit: Unit::Count,
};
const BELOW: Figure = Figure {
    id: "declared_storeys_below",
    zh: "地下层数",
    en: "storeys below ground",
    unit: Unit::Count,
};
const FOOTPRINT: Figure = Figure {
    id: "declared_footprint",
    zh: "基底面积",
    en: "building base area",
    unit: Unit::M2,
};

/// One result per declared figure, in the order of the application form.
pub fn checks(ctx: &Ctx, d: &Declared) -> Vec<CheckResult> {
    let (tol, cite) = tolerance(ctx);
    let one = |f: &Figure, declared: Option<f64>, model: Result<f64, Text>| {
        declared.map(|v| compare(f, v, model, (&tol, &cite)))
    };
    let storeys = |n: usize| -> Result<f64, Text> {
        if ctx.model.storeys.is_empty() {
            Err(Text::new(
                "模型没有楼层 (IfcBuildingStorey)",
                "the model has no storeys (IfcBuildingStorey)",
            ))
        } else {
            Ok(n as f64)
        }
    };
    let facts = &ctx.model.facts;
    let mut out: Vec<CheckResult> = [
        one(&GFA, d.gfa_m2, facts.gfa_m2.ok_or_else(no_gfa)),
        one(
            &FAR_AREA,
            d.far_area_m2,
            crate::checks::far::far_area(ctx).map(|t| t.0),
        ),
        one(&HEIGHT, d.height_m, ctx.height().ok_or_else(no_height)),
        one(
            &ABOVE,
            d.storeys_above.map(f64::from),
            storeys(facts.storeys_above),
        ),
        one(
            &BELOW,
            d.storeys_below.map(f64::from),
            storeys(facts.storeys_below),
        ),
        one(&FOOTPRINT, d.footprint_m2, base_area(ctx)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(term) = &d.main_use {
        out.push(main_use(ctx, term, &cite));
    }
    // The whole building is what disagrees with the form: its outline is the evidence.
    let outline = ctx
        .footprint()
        .map(|f| geojson(&geo::Geometry::MultiPolygon(f.clone())));
    for r in out.iter_mut().filter(|r| r.status == Status::Fail) {
        r.evidence = outline.clone();
    }
    out
}

fn no_gfa() -> Text {
    Text::new(
        "模型无法给出总建筑面积（缺少楼层或楼板）",
        "the model gives no gross floor area (no storeys or slabs)",
    )
}

fn no_height() -> Text {
    Text::new(
        "无法从模型确定建筑高度",
        "the building height could not be determined from the model",
    )
}

fn base_area(ctx: &Ctx) -> Result<f64, Text> {
    let a = ctx
        .placed
        .map(|p| p.base_area_m2())
        .unwrap_or(ctx.model.facts.base_area_m2);
    if a > 0.0 {
        Ok(a)
    } else {
        Err(Text::new(
            "模型没有落地的构件，无法计算基底面积",
            "nothing in the model stands on the ground; no base area",
        ))
    }
}

fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::M => fmt_m(v),
        Unit::M2 => format!("{v:.2} m²"),
        Unit::Count | Unit::Ratio => format!("{v}"),
    }
}

/// The declared value is the limit, the model's the measured value.
fn compare(
    f: &Figure,
    declared: f64,
    model: Result<f64, Text>,
    (tol, cite): (&Tolerance, &Citation),
) -> CheckResult {
    let mut r = result(
        f.id,
        Text::new(
            format!("申报{}核对", f.zh),
            format!("Declared {} vs the model", f.en),
        ),
        f.unit,
    );
    r.clause = Some(cite.clone());
    let m = match model {
        Ok(m) => m,
        Err(why) => {
            r.limit = Some(declared);
            r.comparison = Some(Comparison::Matches);
            r.explanation = Text::new(
                format!(
                    "申报{} {}，{}，无法核对",
                    f.zh,
                    value(declared, f.unit),
                    why.zh
                ),
                format!(
                    "declared {} {}: {}; cannot be compared",
                    f.en,
                    value(declared, f.unit),
                    why.en
                ),
            );
            return r;
        }
    };
    decide(&mut r, m, declared, Comparison::Matches, tol);
    let (d, mv) = (value(declared, f.unit), value(m, f.unit));
    let diff = if f.unit != Unit::Count {
        format!(" ({:+.1} %)", (declared - m) / m.abs().max(1e-9) * 100.0)
    } else {
        String::new()
    };
    r.explanation = match r.status {
        Status::Fail => Text::new(
            format!("申报{} {d} 与模型 {mv} 不符{diff}", f.zh),
            format!(
                "declared {} {d} does not match the model's {mv}{diff}",
                f.en
            ),
        ),
        _ => Text::new(
            format!("申报{} {d} 与模型 {mv} 相符", f.zh),
            format!("declared {} {d} matches the model's {mv}", f.en),
        ),
    };
    r.details = serde_json::json!({ "declared": declared, "model": m });
    r
}

/// 主要用途: the declared use's category against the model's own main use (its
/// Pset_BuildingCommon.OccupancyType and spaces, never `--use`).
fn main_use(ctx: &Ctx, term: &str, cite: &Citation) -> CheckResult {
    let mut r = result(
        "declared_main_use",
        Text::new("申报主要用途核对", "Declared main use vs the model"),
        Unit::Count,
    );
    r.clause = Some(cite.clone());
    let Some(declared) = uses::category(term) else {
        r.explanation = Text::new(
            format!("申报用途「{term}」不是可识别的建筑用途，无法核对"),
            format!("declared use '{term}' is not a known building use; cannot be compared"),
        );
        return r;
    };
    let model = crate::gather_uses(ctx.model, None)
        .ok()
        .and_then(|(_, shares)| {
            shares
                .into_iter()
                .max_by(|a, b| a.share.unwrap_or(0.0).total_cmp(&b.share.unwrap_or(0.0)))
                .map(|s| s.category)
        });
    let Some(model) = model else {
        r.explanation = Text::new(
            format!("申报用途「{term}」，模型未标明用途（OccupancyType 或空间用途），无法核对"),
            format!(
                "declared use '{term}'; the model states no use (OccupancyType or spaces); cannot be compared"
            ),
        );
        return r;
    };
    r.details = serde_json::json!({ "declared": declared, "declared_term": term, "model": model });
    let (dz, mz) = (uses::label_zh(declared), uses::label_zh(&model));
    if model == declared {
        r.status = Status::Pass;
        r.explanation = Text::new(
            format!("申报用途 {dz} 与模型用途 {mz} 相符"),
            format!("declared use {declared} matches the model's {model}"),
        );
    } else {
        r.status = Status::Fail;
        r.explanation = Text::new(
            format!("申报用途 {dz} 与模型用途 {mz} 不符"),
            format!("declared use {declared} does not match the model's {model}"),
        );
    }
    r
}
