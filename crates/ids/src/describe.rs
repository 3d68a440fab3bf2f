//! Bilingual (Chinese first) sentences for facets and failures, used by every report.

use crate::facets::{Probe, Text};
use crate::spec::{Cardinality, Facet, FacetKind};
use crate::value::IdsValue;

fn opt(v: Option<&IdsValue>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "*".into())
}

/// What the facet asks, e.g. "属性集 Pset_WallCommon 的 FireRating 应为 \"EI60\"".
pub fn facet(f: &Facet) -> Text {
    let (zh, en) = match &f.kind {
        FacetKind::Entity { name, predefined } => (
            format!("实体类型为 {name}，预定义类型 {}", opt(predefined.as_ref())),
            format!(
                "entity class {name}, predefined type {}",
                opt(predefined.as_ref())
            ),
        ),
        FacetKind::Attribute { name, value } => (
            format!("属性 {name} 的值为 {}", opt(value.as_ref())),
            format!("attribute {name} with value {}", opt(value.as_ref())),
        ),
        FacetKind::Classification { value, system } => (
            format!(
                "分类体系 {} 中的编码 {}",
                opt(system.as_ref()),
                opt(value.as_ref())
            ),
            format!(
                "classification system {} with reference {}",
                opt(system.as_ref()),
                opt(value.as_ref())
            ),
        ),
        FacetKind::Property {
            pset,
            name,
            value,
            data_type,
        } => {
            let dt = data_type.as_deref().unwrap_or("*");
            (
                format!(
                    "属性集 {pset} 的属性 {name}（数据类型 {dt}）值为 {}",
                    opt(value.as_ref())
                ),
                format!(
                    "property {pset}.{name} (data type {dt}) with value {}",
                    opt(value.as_ref())
                ),
            )
        }
        FacetKind::Material { value } => (
            format!("材料 {}", opt(value.as_ref())),
            format!("material {}", opt(value.as_ref())),
        ),
        FacetKind::PartOf {
            entity,
            predefined,
            relation,
        } => {
            let rel = relation
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .unwrap_or_else(|| "任意关系 any relation".into());
            (
                format!(
                    "经 {rel} 从属于 {entity}（预定义类型 {}）",
                    opt(predefined.as_ref())
                ),
                format!(
                    "part of {entity} (predefined type {}) through {rel}",
                    opt(predefined.as_ref())
                ),
            )
        }
    };
    let (pre_zh, pre_en) = match f.cardinality {
        Cardinality::Required => ("必须有", "required: "),
        Cardinality::Optional => ("可选，若有则须为", "optional, if present: "),
        Cardinality::Prohibited => ("禁止有", "prohibited: "),
    };
    Text::new(format!("{pre_zh}{zh}"), format!("{pre_en}{en}"))
}

/// Why an entity failed a requirement facet.
pub fn failure(f: &Facet, p: &Probe) -> Text {
    match f.cardinality {
        Cardinality::Prohibited => Text::new(
            format!("出现了禁止的内容：{}", p.detail.zh),
            format!("has what is prohibited: {}", p.detail.en),
        ),
        _ if !p.found => Text::new(
            format!("缺失：{}", p.detail.zh),
            format!("missing: {}", p.detail.en),
        ),
        _ => Text::new(
            format!("不符合：{}", p.detail.zh),
            format!("does not match: {}", p.detail.en),
        ),
    }
}
