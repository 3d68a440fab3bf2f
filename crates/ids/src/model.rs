//! The model as an entity graph: every record's type (per the file's schema), its
//! parameters on demand, an index by type, and the relationships IDS walks, inverted
//! once at load (object → property sets, type, classifications, material, aggregate,
//! nest, container, groups, voids and fills), plus the project's units.

use crate::error::IdsError;
use crate::schema::{schema, IfcVersion, Schema, TypeId};
use crate::step::{self, Val};
use crate::units::Units;
use rustc_hash::FxHashMap as HashMap;

/// An entity's position in [`Model::ents`]; crosses module boundaries instead of a raw index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ent(pub u32);

#[derive(Debug)]
struct Record {
    id: u64,
    ty: Option<TypeId>,
    /// The parameter list, `(` to `)` inclusive (absolute offsets).
    args: (usize, usize),
}

/// Inverse relationships, keyed by the related object.
#[derive(Debug, Default)]
pub struct Relations {
    pub psets: HashMap<Ent, Vec<Ent>>,
    pub type_of: HashMap<Ent, Ent>,
    pub classifications: HashMap<Ent, Vec<Ent>>,
    pub material: HashMap<Ent, Ent>,
    pub aggregate: HashMap<Ent, Ent>,
    pub nest: HashMap<Ent, Ent>,
    pub container: HashMap<Ent, Ent>,
    pub groups: HashMap<Ent, Vec<Ent>>,
    /// Opening → the element it voids.
    pub voids: HashMap<Ent, Ent>,
    /// Filling element → the opening it fills.
    pub fills: HashMap<Ent, Ent>,
}

pub struct Model {
    pub file: String,
    pub version: IfcVersion,
    pub schema: &'static Schema,
    bytes: Vec<u8>,
    recs: Vec<Record>,
    by_id: HashMap<u64, Ent>,
    by_type: HashMap<TypeId, Vec<Ent>>,
    pub rel: Relations,
    pub units: Units,
    /// Offsets of the line feeds, built on the first `line` call (reports of failing
    /// entities) so that naming thousands of entities stays O(log n) each.
    newlines: std::sync::OnceLock<Vec<usize>>,
}

fn type_name(body: &[u8]) -> Option<(&[u8], usize)> {
    // body starts at '#'; find '=' then the name, then '('
    let eq = body.iter().position(|&c| c == b'=')?;
    let mut i = eq + 1;
    while i < body.len() && body[i].is_ascii_whitespace() {
        i += 1;
    }
    let s = i;
    while i < body.len() && (body[i].is_ascii_alphanumeric() || body[i] == b'_') {
        i += 1;
    }
    let name = &body[s..i];
    let open = i + body[i..].iter().position(|&c| c == b'(')?;
    Some((name, open))
}

impl Model {
    /// Reads a model. `file` names it in messages.
    pub fn load(bytes: Vec<u8>, file: &str) -> Result<Model, IdsError> {
        let scan = zhishen_ifc::step::scan(&bytes, file)?;
        let bytes = scan.renumbered.clone().unwrap_or(bytes);
        let header = zhishen_ifc::header::parse(&bytes[scan.header.clone()]);
        let found = header
            .schema_identifiers
            .first()
            .cloned()
            .unwrap_or_default();
        let version =
            IfcVersion::from_file_schema(&found).ok_or_else(|| IdsError::UnsupportedSchema {
                file: file.into(),
                found: found.clone(),
            })?;
        let schema = schema(version);
        let mut recs = Vec::with_capacity(scan.records.len());
        let mut by_id = HashMap::default();
        let mut by_type: HashMap<TypeId, Vec<Ent>> = HashMap::default();
        let mut upper = String::new();
        for r in &scan.records {
            let body = &bytes[r.start..r.end];
            let at = |off: usize, what: &str| IdsError::ModelSyntax {
                file: file.into(),
                line: zhishen_ifc::step::line_of(&bytes, r.start + off),
                entity: r.id,
                what: what.into(),
            };
            let Some((name, open)) = type_name(body) else {
                return Err(at(0, "record without a parameter list"));
            };
            // A complex instance `#1=(IFCA()IFCB());` has no single type; it stays untyped.
            let Some(close) = body.iter().rposition(|&c| c == b')').filter(|&c| c > open) else {
                return Err(at(open, "parameter list is never closed"));
            };
            if let Err(e) = step::check_syntax(&body[open..=close]) {
                return Err(at(open + e.offset, e.what));
            }
            upper.clear();
            upper.push_str(&String::from_utf8_lossy(name).to_ascii_uppercase());
            let ty = schema.type_id(&upper);
            let idx = Ent(recs.len() as u32);
            if let Some(t) = ty {
                by_type.entry(t).or_default().push(idx);
            }
            by_id.insert(r.id, idx);
            recs.push(Record {
                id: r.id,
                ty,
                args: (r.start + open, r.start + close + 1),
            });
        }
        let mut m = Model {
            file: file.into(),
            version,
            schema,
            bytes,
            recs,
            by_id,
            by_type,
            rel: Relations::default(),
            units: Units::default(),
            newlines: std::sync::OnceLock::new(),
        };
        m.rel = m.relations();
        m.units = Units::read(&m);
        Ok(m)
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = Ent> {
        (0..self.recs.len() as u32).map(Ent)
    }

    pub fn step_id(&self, e: Ent) -> u64 {
        self.recs[e.0 as usize].id
    }

    pub fn ty(&self, e: Ent) -> Option<TypeId> {
        self.recs[e.0 as usize].ty
    }

    /// The entity's class in upper case (`IFCWALL`), `?` for a type this schema lacks.
    pub fn class(&self, e: Ent) -> &'static str {
        self.ty(e).map(|t| self.schema.name(t)).unwrap_or("?")
    }

    pub fn is_a(&self, e: Ent, upper: &str) -> bool {
        self.ty(e).is_some_and(|t| self.schema.is_a_name(t, upper))
    }

    pub fn of_type(&self, t: TypeId) -> &[Ent] {
        self.by_type.get(&t).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every instance of `upper` and its subtypes.
    pub fn of_type_deep(&self, upper: &str) -> Vec<Ent> {
        let Some(a) = self.schema.type_id(upper) else {
            return Vec::new();
        };
        let mut v: Vec<Ent> = self
            .by_type
            .iter()
            .filter(|(t, _)| self.schema.is_a(**t, a))
            .flat_map(|(_, es)| es.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }

    pub fn resolve(&self, id: u64) -> Option<Ent> {
        self.by_id.get(&id).copied()
    }

    /// The record's parameters (checked at load, so this cannot fail; a record the
    /// loader accepted always parses).
    pub fn args(&self, e: Ent) -> Vec<Val> {
        let (s, t) = self.recs[e.0 as usize].args;
        step::parse_args(&self.bytes[s..t]).unwrap_or_default()
    }

    /// Attribute `name` of `e` by its EXPRESS name, if the entity's type has it.
    pub fn attr(&self, e: Ent, name: &str) -> Option<Val> {
        let (i, _) = self.schema.attr(self.ty(e)?, name)?;
        self.args(e).into_iter().nth(i)
    }

    pub fn attr_ref(&self, e: Ent, name: &str) -> Option<Ent> {
        self.attr(e, name)?
            .as_ref_id()
            .and_then(|r| self.resolve(r))
    }

    pub fn attr_refs(&self, e: Ent, name: &str) -> Vec<Ent> {
        let Some(v) = self.attr(e, name) else {
            return Vec::new();
        };
        let v = match v {
            Val::Typed(_, inner) => *inner,
            v => v,
        };
        v.refs()
            .into_iter()
            .filter_map(|r| self.resolve(r))
            .collect()
    }

    pub fn attr_str(&self, e: Ent, name: &str) -> Option<String> {
        match self.attr(e, name)? {
            Val::Str(s) => Some(s),
            Val::Typed(_, v) => v.as_str().map(str::to_string),
            Val::Enum(s) => Some(s),
            _ => None,
        }
    }

    /// The 1-based line of the record, for messages.
    pub fn line(&self, e: Ent) -> usize {
        let nl = self.newlines.get_or_init(|| {
            self.bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect()
        });
        nl.partition_point(|&o| o < self.recs[e.0 as usize].args.0) + 1
    }

    fn relations(&self) -> Relations {
        let mut r = Relations::default();
        let Some(root) = self.schema.type_id("IFCRELATIONSHIP") else {
            return r;
        };
        for (t, ents) in &self.by_type {
            if !self.schema.is_a(*t, root) {
                continue;
            }
            for &e in ents {
                self.relation(&mut r, e);
            }
        }
        // Sorted lists: reports and the order of checks do not depend on hashing.
        for v in r
            .psets
            .values_mut()
            .chain(r.classifications.values_mut())
            .chain(r.groups.values_mut())
        {
            v.sort_unstable();
            v.dedup();
        }
        r
    }

    fn relation(&self, r: &mut Relations, e: Ent) {
        let class = self.class(e);
        let many = |name: &str| self.attr_refs(e, name);
        let one = |name: &str| self.attr_ref(e, name);
        match class {
            "IFCRELDEFINESBYPROPERTIES" => {
                let defs = many("RelatingPropertyDefinition");
                for o in many("RelatedObjects") {
                    r.psets.entry(o).or_default().extend(defs.iter().copied());
                }
            }
            "IFCRELDEFINESBYTYPE" => {
                if let Some(t) = one("RelatingType") {
                    for o in many("RelatedObjects") {
                        r.type_of.insert(o, t);
                    }
                }
            }
            "IFCRELASSOCIATESCLASSIFICATION" => {
                if let Some(c) = one("RelatingClassification") {
                    for o in many("RelatedObjects") {
                        r.classifications.entry(o).or_default().push(c);
                    }
                }
            }
            "IFCRELASSOCIATESMATERIAL" => {
                if let Some(m) = one("RelatingMaterial") {
                    for o in many("RelatedObjects") {
                        r.material.entry(o).or_insert(m);
                    }
                }
            }
            "IFCRELAGGREGATES" | "IFCRELNESTS" => {
                if let Some(p) = one("RelatingObject") {
                    let map = if class == "IFCRELAGGREGATES" {
                        &mut r.aggregate
                    } else {
                        &mut r.nest
                    };
                    for o in many("RelatedObjects") {
                        map.insert(o, p);
                    }
                }
            }
            "IFCRELCONTAINEDINSPATIALSTRUCTURE" => {
                if let Some(p) = one("RelatingStructure") {
                    for o in many("RelatedElements") {
                        r.container.insert(o, p);
                    }
                }
            }
            "IFCRELASSIGNSTOGROUP" | "IFCRELASSIGNSTOGROUPBYFACTOR" => {
                if let Some(g) = one("RelatingGroup") {
                    for o in many("RelatedObjects") {
                        r.groups.entry(o).or_default().push(g);
                    }
                }
            }
            "IFCRELVOIDSELEMENT" => {
                if let (Some(el), Some(op)) =
                    (one("RelatingBuildingElement"), one("RelatedOpeningElement"))
                {
                    r.voids.insert(op, el);
                }
            }
            "IFCRELFILLSELEMENT" => {
                if let (Some(op), Some(el)) =
                    (one("RelatingOpeningElement"), one("RelatedBuildingElement"))
                {
                    r.fills.insert(el, op);
                }
            }
            _ => {}
        }
    }
}
