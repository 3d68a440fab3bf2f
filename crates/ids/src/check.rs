//! Checking a model against an IDS: per specification, the applicable entities, then
//! each requirement facet on each of them, and the specification's own cardinality.
//!
//! - A specification whose `ifcVersion` does not list the model's schema is
//!   `not_applicable` (it neither passes nor fails the model).
//! - Applicability: the entity facet selects exact classes (never subtypes; in IFC2X3
//!   also occurrences whose type object names the class); without an entity facet the
//!   candidates are all object definitions, or every entity when the first facet is an
//!   attribute facet. Every other applicability facet must hold ("required").
//! - Required specification: at least one applicable entity. Prohibited: none (and
//!   requirements are not evaluated). Optional: no condition on the count.

use crate::facets::{probe, verdict, Text};
use crate::model::{Ent, Model};
use crate::report::{EntityRef, IdsReport, RequirementResult, SpecResult, Status, Summary};
use crate::spec::{Cardinality, Facet, FacetKind, FacetType, Ids, Specification};
use crate::value::IdsValue;

/// What an entity is called in a report.
pub fn entity_ref(m: &Model, e: Ent) -> EntityRef {
    EntityRef {
        step_id: m.step_id(e),
        line: m.line(e),
        class: m.class(e).to_string(),
        global_id: m.attr_str(e, "GlobalId"),
        name: m.attr_str(e, "Name"),
    }
}

fn entity_candidates(m: &Model, name: &IdsValue) -> Vec<Ent> {
    let mut out: Vec<Ent> = Vec::new();
    for t in 0..m.schema.entities.len() {
        let t = crate::schema::TypeId(t as u16);
        if name.matches_text(m.schema.name(t)) {
            out.extend_from_slice(m.of_type(t));
        }
    }
    if m.version == crate::schema::IfcVersion::Ifc2x3 {
        for (&occ, _) in m.rel.type_of.iter() {
            if crate::facets::ifc2x3_class_via_type(m, occ).is_some_and(|c| name.matches_text(&c)) {
                out.push(occ);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn candidates(m: &Model, app: &[Facet]) -> Vec<Ent> {
    match app.first().map(|f| &f.kind) {
        Some(FacetKind::Entity { name, .. }) => entity_candidates(m, name),
        Some(FacetKind::Attribute { .. }) => m.all().filter(|e| m.ty(*e).is_some()).collect(),
        Some(_) => m.of_type_deep("IFCOBJECTDEFINITION"),
        None => Vec::new(),
    }
}

fn applicable(m: &Model, spec: &Specification) -> Vec<Ent> {
    candidates(m, &spec.applicability)
        .into_iter()
        .filter(|&e| {
            spec.applicability
                .iter()
                .all(|f| verdict(Cardinality::Required, &probe(m, &f.kind, e)))
        })
        .collect()
}

fn requirement(m: &Model, f: &Facet, ents: &[Ent]) -> RequirementResult {
    let mut failures = Vec::new();
    for &e in ents {
        let p = probe(m, &f.kind, e);
        if !verdict(f.cardinality, &p) {
            let why = crate::describe::failure(f, &p);
            failures.push((entity_ref(m, e), why));
        }
    }
    RequirementResult {
        facet: f.facet_type(),
        cardinality: f.cardinality,
        description: crate::describe::facet(f),
        instructions: f.instructions.clone(),
        line: f.line,
        status: if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        checked: ents.len(),
        failures: failures
            .into_iter()
            .map(|(entity, reason)| crate::report::Failure { entity, reason })
            .collect(),
    }
}

fn check_spec(m: &Model, spec: &Specification) -> SpecResult {
    let mut r = SpecResult::new(spec);
    if !spec.versions.contains(&m.version) {
        r.status = Status::NotApplicable;
        r.message = Some(Text::new(
            format!(
                "本规范适用于 {}，模型为 {}",
                versions(spec),
                m.version.as_str()
            ),
            format!(
                "this specification is for {}; the model is {}",
                versions(spec),
                m.version.as_str()
            ),
        ));
        return r;
    }
    let ents = applicable(m, spec);
    r.applicable = ents.len();
    match spec.cardinality {
        Cardinality::Prohibited => {
            r.prohibited = ents.iter().map(|&e| entity_ref(m, e)).collect();
            if !ents.is_empty() {
                r.status = Status::Fail;
                r.message = Some(Text::new(
                    format!("禁止出现的对象有 {} 个", ents.len()),
                    format!("{} entities match a prohibited specification", ents.len()),
                ));
            }
            return r;
        }
        Cardinality::Required if ents.is_empty() => {
            r.status = Status::Fail;
            r.message = Some(Text::new(
                "模型中没有适用的对象，但本规范要求至少一个",
                "no applicable entity, but the specification requires at least one",
            ));
        }
        _ => {}
    }
    r.requirements = spec
        .requirements
        .iter()
        .map(|f| requirement(m, f, &ents))
        .collect();
    if r.requirements.iter().any(|q| q.status == Status::Fail) {
        r.status = Status::Fail;
    }
    r
}

fn versions(spec: &Specification) -> String {
    spec.versions
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks `model` against every specification of `ids`.
pub fn check(model: &Model, ids: &Ids, ids_file: &str) -> IdsReport {
    let specifications: Vec<SpecResult> = ids
        .specifications
        .iter()
        .map(|s| check_spec(model, s))
        .collect();
    let count = |st: Status| specifications.iter().filter(|s| s.status == st).count();
    let summary = Summary {
        specifications: specifications.len(),
        pass: count(Status::Pass),
        fail: count(Status::Fail),
        not_applicable: count(Status::NotApplicable),
    };
    IdsReport {
        format: "zhishen.ids-report/1",
        model: crate::report::ModelInfo {
            file: model.file.clone(),
            schema: model.version,
            entities: model.len(),
        },
        ids: crate::report::IdsInfo {
            file: ids_file.to_string(),
            info: ids.info.clone(),
        },
        summary,
        specifications,
    }
}

/// Whether a facet type is among a specification's requirements (for callers that
/// summarise by facet).
pub fn has_facet(spec: &Specification, t: FacetType) -> bool {
    spec.requirements
        .iter()
        .chain(&spec.applicability)
        .any(|f| f.facet_type() == t)
}
