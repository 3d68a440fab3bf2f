//! The six facets evaluated on one entity.
//!
//! Every facet answers two questions, a [`Probe`]: is the thing there at all (`found`:
//! an attribute with a value, a property set with the property, a classification, a
//! material, a relation), and does it meet the facet's values (`ok`). Cardinality then
//! decides in one place ([`verdict`]): required = found and ok; prohibited = not
//! (found and ok); optional = not found, or ok. Applicability uses "required".
//!
//! Inheritance 继承: properties, classifications and materials of an element's type
//! object (IfcRelDefinesByType) count for the element; an occurrence's own property of
//! the same set and name wins, and an occurrence's own material replaces the type's.
//! Attributes are never inherited. Values of measures are converted to SI first.

use crate::model::{Ent, Model};
use crate::schema::{AttrKind, IfcVersion};
use crate::spec::{Cardinality, FacetKind, Relation};
use crate::step::Val;
use crate::value::{IdsValue, MVal};
use rustc_hash::FxHashSet as HashSet;

/// Bilingual text, Chinese first.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub found: bool,
    pub ok: bool,
    /// What was found (or not), for the report.
    pub detail: Text,
}

impl Probe {
    fn missing(zh: impl Into<String>, en: impl Into<String>) -> Probe {
        Probe {
            found: false,
            ok: false,
            detail: Text::new(zh, en),
        }
    }

    fn found(ok: bool, zh: impl Into<String>, en: impl Into<String>) -> Probe {
        Probe {
            found: true,
            ok,
            detail: Text::new(zh, en),
        }
    }
}

pub fn verdict(c: Cardinality, p: &Probe) -> bool {
    match c {
        Cardinality::Required => p.found && p.ok,
        Cardinality::Prohibited => !(p.found && p.ok),
        Cardinality::Optional => !p.found || p.ok,
    }
}

pub fn probe(m: &Model, kind: &FacetKind, e: Ent) -> Probe {
    match kind {
        FacetKind::Entity { name, predefined } => entity(m, e, name, predefined.as_ref()),
        FacetKind::Attribute { name, value } => attribute(m, e, name, value.as_ref()),
        FacetKind::Classification { value, system } => {
            classification(m, e, value.as_ref(), system.as_ref())
        }
        FacetKind::Property {
            pset,
            name,
            value,
            data_type,
        } => crate::property::probe(
            m,
            e,
            &crate::property::Want {
                pset,
                name,
                value: value.as_ref(),
                data_type: data_type.as_deref(),
            },
        ),
        FacetKind::Material { value } => material(m, e, value.as_ref()),
        FacetKind::PartOf {
            entity,
            predefined,
            relation,
        } => part_of(m, e, entity, predefined.as_ref(), *relation),
    }
}

// ---------------------------------------------------------------- entity

/// IFC2X3 names some occurrence classes only through their type object
/// (IfcFurnishingElement + IfcFurnitureType = IFCFURNITURE): the type's class without
/// its `TYPE`/`STYLE` suffix is then the occurrence's IDS class.
pub fn ifc2x3_class_via_type(m: &Model, e: Ent) -> Option<String> {
    if m.version != IfcVersion::Ifc2x3 {
        return None;
    }
    let t = *m.rel.type_of.get(&e)?;
    let c = m.class(t);
    let stem = c.strip_suffix("TYPE").or_else(|| c.strip_suffix("STYLE"))?;
    Some(stem.to_string())
}

fn class_matches(m: &Model, e: Ent, name: &IdsValue) -> bool {
    name.matches_text(m.class(e))
        || ifc2x3_class_via_type(m, e).is_some_and(|c| name.matches_text(&c))
}

fn enum_attr(m: &Model, e: Ent, attr: &str) -> Option<String> {
    match m.attr(e, attr)? {
        Val::Enum(s) => Some(s),
        _ => None,
    }
}

/// The user-defined type name of a type object (ElementType, ProcessType…).
fn type_label(m: &Model, t: Ent) -> Option<String> {
    ["ElementType", "ProcessType"]
        .iter()
        .find_map(|a| m.attr_str(t, a))
}

/// (raw PredefinedType in force, resolved value): the type object's when it names one
/// (not NOTDEFINED), else the occurrence's; USERDEFINED resolves to the user's label
/// (the type's ElementType/ProcessType, the occurrence's ObjectType).
pub fn predefined_type(m: &Model, e: Ent) -> (Option<String>, Option<String>) {
    if let Some(&t) = m.rel.type_of.get(&e) {
        if let Some(p) = enum_attr(m, t, "PredefinedType").filter(|p| p != "NOTDEFINED") {
            let resolved = if p == "USERDEFINED" {
                type_label(m, t)
            } else {
                Some(p.clone())
            };
            return (Some(p), resolved);
        }
    }
    let Some(p) = enum_attr(m, e, "PredefinedType") else {
        return (None, None);
    };
    let resolved = if p == "USERDEFINED" {
        m.attr_str(e, "ObjectType").or_else(|| type_label(m, e))
    } else {
        Some(p.clone())
    };
    (Some(p), resolved)
}

fn predefined_matches(m: &Model, e: Ent, want: &IdsValue) -> (bool, String) {
    let (raw, resolved) = predefined_type(m, e);
    let shown = resolved
        .clone()
        .or(raw.clone())
        .unwrap_or_else(|| "—".into());
    let ok = if want.simple() == Some("USERDEFINED") {
        raw.as_deref() == Some("USERDEFINED")
    } else {
        resolved.as_deref().is_some_and(|r| want.matches_text(r))
    };
    (ok, shown)
}

fn entity(m: &Model, e: Ent, name: &IdsValue, predefined: Option<&IdsValue>) -> Probe {
    let class = m.class(e);
    if !class_matches(m, e, name) {
        return Probe::found(
            false,
            format!("类型为 {class}"),
            format!("the class is {class}"),
        );
    }
    if let Some(p) = predefined {
        let (ok, shown) = predefined_matches(m, e, p);
        if !ok {
            return Probe::found(
                false,
                format!("预定义类型为 {shown}"),
                format!("the predefined type is {shown}"),
            );
        }
    }
    Probe::found(true, "", "")
}

// ---------------------------------------------------------------- attribute

/// A model value as IDS compares it; `None` when it cannot be compared (an object, a
/// list, a binary), `Some(Err)` when it is empty (null, '', unknown).
fn to_mval(m: &Model, v: &Val, kind: AttrKind, measure: Option<&str>) -> Option<Result<MVal, ()>> {
    Some(Ok(match v {
        Val::Null | Val::Derived => return Some(Err(())),
        Val::Str(s) if s.is_empty() => return Some(Err(())),
        Val::Str(s) => MVal::Text(s.clone()),
        Val::Enum(s)
            if matches!(
                kind,
                AttrKind::Boolean | AttrKind::Logical | AttrKind::Select
            ) && (s == "T" || s == "F") =>
        {
            MVal::Bool(s == "T")
        }
        Val::Enum(s) if s == "U" && matches!(kind, AttrKind::Logical | AttrKind::Select) => {
            return Some(Err(()))
        }
        Val::Enum(s) => MVal::Text(s.clone()),
        Val::Int(i) => MVal::Int(*i),
        Val::Real(r) => MVal::Real(convert(m, *r, measure, None)),
        Val::Typed(t, inner) => return typed_mval(m, t, inner, None),
        Val::List(l) if l.is_empty() => return Some(Err(())),
        Val::Ref(_) | Val::List(_) | Val::Binary(_) => return None,
    }))
}

fn convert(m: &Model, v: f64, measure: Option<&str>, own_unit: Option<Ent>) -> f64 {
    match measure {
        Some(me) => m.units.for_measure(m, me, own_unit).apply(v),
        None => v,
    }
}

/// A typed value (`IFCLENGTHMEASURE(2.5)`) as IDS compares it, converted to SI.
pub fn typed_mval(
    m: &Model,
    ty: &str,
    inner: &Val,
    own_unit: Option<Ent>,
) -> Option<Result<MVal, ()>> {
    let kind = m.schema.defined_type(ty).unwrap_or(AttrKind::Other);
    match (kind, inner) {
        (AttrKind::Real, v) => v
            .as_f64()
            .map(|x| Ok(MVal::Real(convert(m, x, Some(ty), own_unit)))),
        (AttrKind::Integer, Val::Int(i)) => Some(Ok(MVal::Int(*i))),
        _ => to_mval(m, inner, kind, None),
    }
}

fn attribute(m: &Model, e: Ent, name: &IdsValue, want: Option<&IdsValue>) -> Probe {
    let Some(ty) = m.ty(e) else {
        return Probe::missing("无此属性", "no such attribute");
    };
    let args = m.args(e);
    let mut found_any = false;
    let mut ok = true;
    let mut shown = Vec::new();
    for (i, def) in m.schema.entity(ty).attrs.iter().enumerate() {
        if !name.matches_text(def.name) {
            continue;
        }
        let v = args.get(i).cloned().unwrap_or(Val::Null);
        if def.derived || matches!(v, Val::Null | Val::Derived) {
            continue;
        }
        found_any = true;
        match to_mval(m, &v, def.kind, def.measure) {
            Some(Ok(mv)) => {
                if want.is_some_and(|w| !w.matches(&mv)) {
                    ok = false;
                }
                shown.push(format!("{}={mv}", def.name));
            }
            Some(Err(())) => {
                ok = false;
                shown.push(format!("{}=(空 empty)", def.name));
            }
            None => {
                ok &= want.is_none();
                shown.push(format!("{}=(对象或列表 object or list)", def.name));
            }
        }
    }
    if !found_any {
        return Probe::missing("属性未赋值", "the attribute has no value");
    }
    let s = shown.join(", ");
    Probe::found(ok, format!("实际值 {s}"), format!("found {s}"))
}

// ---------------------------------------------------------------- classification

/// (identifications along the reference chain, system name) of one association.
fn classification_entries(m: &Model, c: Ent) -> (Vec<String>, Option<String>) {
    let mut ids = Vec::new();
    let mut cur = Some(c);
    let mut system = None;
    for _ in 0..32 {
        let Some(x) = cur else { break };
        if m.is_a(x, "IFCCLASSIFICATION") {
            system = m.attr_str(x, "Name");
            break;
        }
        if let Some(id) = m
            .attr_str(x, "Identification")
            .or_else(|| m.attr_str(x, "ItemReference"))
        {
            ids.push(id);
        }
        cur = m.attr_ref(x, "ReferencedSource");
    }
    (ids, system)
}

fn associations(m: &Model, e: Ent) -> Vec<Ent> {
    let mut v: Vec<Ent> = m.rel.classifications.get(&e).cloned().unwrap_or_default();
    if let Some(t) = m.rel.type_of.get(&e) {
        v.extend(m.rel.classifications.get(t).into_iter().flatten().copied());
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn classification(m: &Model, e: Ent, value: Option<&IdsValue>, system: Option<&IdsValue>) -> Probe {
    let assoc = associations(m, e);
    if assoc.is_empty() {
        return Probe::missing("未分类", "not classified");
    }
    let mut shown = Vec::new();
    let mut ok = false;
    for c in assoc {
        let (ids, sys) = classification_entries(m, c);
        let sys_ok = system.is_none_or(|s| sys.as_deref().is_some_and(|x| s.matches_text(x)));
        let val_ok = value.is_none_or(|v| ids.iter().any(|i| v.matches_text(i)));
        ok |= sys_ok && val_ok;
        shown.push(format!(
            "{}:{}",
            sys.unwrap_or_else(|| "?".into()),
            ids.first().cloned().unwrap_or_default()
        ));
    }
    let s = shown.join(", ");
    Probe::found(ok, format!("分类为 {s}"), format!("classified as {s}"))
}

// ---------------------------------------------------------------- material

fn material_names(m: &Model, x: Ent, depth: u32, out: &mut Vec<String>) {
    if depth > 6 {
        return;
    }
    for a in ["Name", "Category", "LayerSetName"] {
        if let Some(s) = m.attr_str(x, a) {
            out.push(s);
        }
    }
    for a in [
        "ForLayerSet",
        "ForProfileSet",
        "Materials",
        "MaterialLayers",
        "MaterialProfiles",
        "MaterialConstituents",
        "Material",
    ] {
        for r in m.attr_refs(x, a) {
            material_names(m, r, depth + 1, out);
        }
    }
}

fn material(m: &Model, e: Ent, value: Option<&IdsValue>) -> Probe {
    let mat = m
        .rel
        .material
        .get(&e)
        .or_else(|| m.rel.type_of.get(&e).and_then(|t| m.rel.material.get(t)));
    let Some(&mat) = mat else {
        return Probe::missing("未指定材料", "no material");
    };
    let mut names = Vec::new();
    material_names(m, mat, 0, &mut names);
    names.retain(|n| !n.is_empty());
    names.dedup();
    let ok = value.is_none_or(|v| names.iter().any(|n| v.matches_text(n)));
    let s = names.join(", ");
    Probe::found(ok, format!("材料为 {s}"), format!("materials: {s}"))
}

// ---------------------------------------------------------------- partOf

fn parents(m: &Model, x: Ent, rel: Option<Relation>) -> Vec<Ent> {
    let r = &m.rel;
    let mut v = Vec::new();
    let mut add = |o: Option<&Ent>| v.extend(o.copied());
    match rel {
        None => {
            add(r.aggregate.get(&x));
            add(r.nest.get(&x));
            add(r.container.get(&x));
            add(r.voids.get(&x));
            add(r.fills.get(&x));
            v.extend(r.groups.get(&x).into_iter().flatten().copied());
        }
        Some(Relation::Aggregates) => add(r.aggregate.get(&x)),
        Some(Relation::Nests) => add(r.nest.get(&x)),
        Some(Relation::AssignsToGroup) => v.extend(r.groups.get(&x).into_iter().flatten().copied()),
        Some(Relation::ContainedInSpatialStructure) => {
            // A part of an assembly is where its assembly is, and a space's contents are
            // in its storey: containment and aggregation both lead up, but a whole counts
            // only once a containment was crossed (`part_of`).
            add(r.container.get(&x));
            add(r.aggregate.get(&x));
        }
        Some(Relation::VoidsFills) => {
            add(r.voids.get(&x));
            add(r.fills.get(&x));
        }
    }
    v
}

fn part_of(
    m: &Model,
    e: Ent,
    entity: &IdsValue,
    predefined: Option<&IdsValue>,
    rel: Option<Relation>,
) -> Probe {
    let contained = rel == Some(Relation::ContainedInSpatialStructure);
    // (entity, a containment was crossed on the way): only containment needs the flag.
    let step = |x: Ent, crossed: bool| -> Vec<(Ent, bool)> {
        parents(m, x, rel)
            .into_iter()
            .map(|p| {
                (
                    p,
                    crossed || !contained || m.rel.container.get(&x) == Some(&p),
                )
            })
            .collect()
    };
    let mut seen: HashSet<(Ent, bool)> = HashSet::default();
    let mut frontier = step(e, false);
    let mut found = false;
    let mut classes = Vec::new();
    while let Some((p, crossed)) = frontier.pop() {
        if !seen.insert((p, crossed)) || seen.len() > 10_000 {
            continue;
        }
        if crossed {
            found = true;
            classes.push(m.class(p));
            if entity.matches_text(m.class(p))
                && predefined.is_none_or(|w| predefined_matches(m, p, w).0)
            {
                return Probe::found(
                    true,
                    format!("属于 {}", m.class(p)),
                    format!("part of {}", m.class(p)),
                );
            }
        }
        frontier.extend(step(p, crossed));
    }
    if !found {
        return Probe::missing("无所需关系", "no such relation");
    }
    classes.dedup();
    let s = classes.join(" → ");
    Probe::found(false, format!("只属于 {s}"), format!("only part of {s}"))
}
