//! The IFC schemas as far as IDS needs them: entity names, supertypes, ordered attribute
//! names with their kinds, defined types and enumerations, for IFC2X3, IFC4 and
//! IFC4X3_ADD2.
//!
//! Why a generated table: attribute facets name attributes (`Name`, `PredefinedType`,
//! `Elevation`) that sit at different positions per entity and schema, and the entity
//! facet matches exact class names per schema. The table is generated from
//! IfcOpenShell's compiled EXPRESS (`gen/gen_schema.py`, see `docs/ids.md`) and read once
//! per process from the embedded text (`data/schema.txt`, ~250 KB): no match arms to
//! compile, and regenerating it is one command.

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/schema.txt");

/// The IFC schema versions IDS 1.0 names in `ifcVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum IfcVersion {
    #[serde(rename = "IFC2X3")]
    Ifc2x3,
    #[serde(rename = "IFC4")]
    Ifc4,
    #[serde(rename = "IFC4X3_ADD2")]
    Ifc4x3Add2,
}

impl IfcVersion {
    pub const ALL: [IfcVersion; 3] = [IfcVersion::Ifc2x3, IfcVersion::Ifc4, IfcVersion::Ifc4x3Add2];

    pub fn as_str(self) -> &'static str {
        match self {
            IfcVersion::Ifc2x3 => "IFC2X3",
            IfcVersion::Ifc4 => "IFC4",
            IfcVersion::Ifc4x3Add2 => "IFC4X3_ADD2",
        }
    }

    /// The IDS token (`ifcVersion` list item), exactly as the XSD enumerates it.
    pub fn from_ids(s: &str) -> Option<IfcVersion> {
        IfcVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// A FILE_SCHEMA identifier: `IFC2X3`, `IFC4`, `IFC4X3`, `IFC4X3_ADD2`, `IFC4X3_TC1`…
    /// (any IFC4X3 release is read with the ADD2 schema, its final form).
    pub fn from_file_schema(s: &str) -> Option<IfcVersion> {
        let u = s.trim().to_ascii_uppercase();
        if u.starts_with("IFC2X3") {
            Some(IfcVersion::Ifc2x3)
        } else if u.starts_with("IFC4X3") {
            Some(IfcVersion::Ifc4x3Add2)
        } else if u.starts_with("IFC4") {
            Some(IfcVersion::Ifc4)
        } else {
            None
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What an attribute holds, from its EXPRESS type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    Entity,
    Enum,
    Select,
    Aggregate,
    String,
    Real,
    Integer,
    Boolean,
    Logical,
    Binary,
    Other,
}

impl AttrKind {
    fn parse(c: &str) -> AttrKind {
        match c {
            "e" => AttrKind::Entity,
            "n" => AttrKind::Enum,
            "s" => AttrKind::Select,
            "a" => AttrKind::Aggregate,
            "S" => AttrKind::String,
            "R" => AttrKind::Real,
            "I" => AttrKind::Integer,
            "B" => AttrKind::Boolean,
            "L" => AttrKind::Logical,
            "X" => AttrKind::Binary,
            _ => AttrKind::Other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttrDef {
    pub name: &'static str,
    pub kind: AttrKind,
    /// For reals: the defined type (`IFCLENGTHMEASURE`), whose unit applies.
    pub measure: Option<&'static str>,
    /// Redeclared as DERIVED in this entity (written `*`): it holds no value to check.
    pub derived: bool,
}

/// An entity type's index in its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u16);

#[derive(Debug)]
pub struct EntityDef {
    pub name: &'static str,
    pub supertype: Option<TypeId>,
    /// All explicit attributes in STEP order, inherited first.
    pub attrs: Vec<AttrDef>,
}

#[derive(Debug, Default)]
pub struct Schema {
    pub entities: Vec<EntityDef>,
    by_name: HashMap<&'static str, TypeId>,
    /// Defined type → (kind, the defined type it is based on, if any).
    types: HashMap<&'static str, (AttrKind, Option<&'static str>)>,
    enums: HashMap<&'static str, Vec<&'static str>>,
}

struct RawEntity {
    name: &'static str,
    supertype: Option<&'static str>,
    own: Vec<(&'static str, &'static str)>,
    derived: Vec<&'static str>,
}

fn split_kind(k: &'static str) -> (AttrKind, Option<&'static str>) {
    match k.split_once('/') {
        Some((k, m)) => (AttrKind::parse(k), Some(m)),
        None => (AttrKind::parse(k), None),
    }
}

impl Schema {
    fn build(
        raw: Vec<RawEntity>,
        types: HashMap<&'static str, (AttrKind, Option<&'static str>)>,
        enums: HashMap<&'static str, Vec<&'static str>>,
    ) -> Schema {
        let by_name: HashMap<&'static str, TypeId> = raw
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name, TypeId(i as u16)))
            .collect();
        let by_raw: HashMap<&'static str, &RawEntity> = raw.iter().map(|e| (e.name, e)).collect();
        let mut entities = Vec::with_capacity(raw.len());
        for e in &raw {
            // The supertype chain, root first.
            let mut chain = vec![e];
            let mut cur = e;
            while let Some(s) = cur.supertype.and_then(|s| by_raw.get(s)) {
                chain.push(s);
                cur = s;
            }
            let mut attrs = Vec::new();
            for r in chain.iter().rev() {
                for (n, k) in &r.own {
                    let (kind, measure) = split_kind(k);
                    attrs.push(AttrDef {
                        name: n,
                        kind,
                        measure,
                        derived: false,
                    });
                }
            }
            for a in attrs.iter_mut() {
                a.derived = e.derived.contains(&a.name);
            }
            entities.push(EntityDef {
                name: e.name,
                supertype: e.supertype.and_then(|s| by_name.get(s).copied()),
                attrs,
            });
        }
        Schema {
            entities,
            by_name,
            types,
            enums,
        }
    }

    /// The entity type named `upper` (upper case), if the schema has it.
    pub fn type_id(&self, upper: &str) -> Option<TypeId> {
        self.by_name.get(upper).copied()
    }

    pub fn entity(&self, t: TypeId) -> &EntityDef {
        &self.entities[t.0 as usize]
    }

    pub fn name(&self, t: TypeId) -> &'static str {
        self.entities[t.0 as usize].name
    }

    /// `t` is `ancestor` or one of its subtypes.
    pub fn is_a(&self, t: TypeId, ancestor: TypeId) -> bool {
        let mut cur = Some(t);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.entities[c.0 as usize].supertype;
        }
        false
    }

    /// `t` is (a subtype of) the entity named `upper`.
    pub fn is_a_name(&self, t: TypeId, upper: &str) -> bool {
        self.type_id(upper).is_some_and(|a| self.is_a(t, a))
    }

    /// Position and definition of attribute `name` (case-sensitive, as in EXPRESS).
    pub fn attr(&self, t: TypeId, name: &str) -> Option<(usize, &AttrDef)> {
        self.entity(t)
            .attrs
            .iter()
            .enumerate()
            .find(|(_, a)| a.name == name)
    }

    /// The kind of a defined type (`IFCLABEL` → String), if the schema has it.
    pub fn defined_type(&self, upper: &str) -> Option<AttrKind> {
        self.types.get(upper).map(|t| t.0)
    }

    /// The measure a defined type's unit is taken from: `IFCPOSITIVELENGTHMEASURE` →
    /// `IFCLENGTHMEASURE`; a type based on nothing is its own base.
    pub fn base_measure<'a>(&self, upper: &'a str) -> &'a str
    where
        'static: 'a,
    {
        let mut cur: &'a str = upper;
        for _ in 0..8 {
            match self.types.get(cur) {
                Some((_, Some(base))) if *base != cur => cur = base,
                _ => break,
            }
        }
        cur
    }

    pub fn is_enum_item(&self, enum_name: &str, item: &str) -> bool {
        self.enums.get(enum_name).is_some_and(|v| v.contains(&item))
    }
}

/// The schema of `v`, parsed from the embedded table on first use.
pub fn schema(v: IfcVersion) -> &'static Schema {
    static ALL: OnceLock<Vec<Schema>> = OnceLock::new();
    &ALL.get_or_init(parse_table)[v.index()]
}

fn parse_table() -> Vec<Schema> {
    let mut out = Vec::new();
    let mut raw: Vec<RawEntity> = Vec::new();
    let mut types = HashMap::default();
    let mut enums = HashMap::default();
    let mut started = false;
    for line in TABLE.lines() {
        let f: Vec<&'static str> = line.split('\t').collect();
        match f.first().copied() {
            Some("S") => {
                if started {
                    out.push(Schema::build(
                        std::mem::take(&mut raw),
                        std::mem::take(&mut types),
                        std::mem::take(&mut enums),
                    ));
                }
                started = true;
            }
            Some("E") if f.len() >= 4 => raw.push(RawEntity {
                name: f[1],
                supertype: (f[2] != "-").then_some(f[2]),
                own: f[3]
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .filter_map(|s| s.split_once(':'))
                    .collect(),
                derived: f
                    .get(4)
                    .map(|d| d.split(',').filter(|s| !s.is_empty()).collect())
                    .unwrap_or_default(),
            }),
            Some("T") if f.len() >= 3 => {
                types.insert(f[1], split_kind(f[2]));
            }
            Some("N") if f.len() >= 3 => {
                enums.insert(f[1], f[2].split(',').collect());
            }
            _ => {}
        }
    }
    out.push(Schema::build(raw, types, enums));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_inherited_in_step_order_per_schema() {
        let s4 = schema(IfcVersion::Ifc4);
        let wall = s4.type_id("IFCWALL").unwrap();
        let names: Vec<_> = s4.entity(wall).attrs.iter().map(|a| a.name).collect();
        assert_eq!(names[0], "GlobalId");
        assert_eq!(names[2], "Name");
        assert_eq!(names.last(), Some(&"PredefinedType"));
        // IFC2X3 walls have no PredefinedType.
        let s2 = schema(IfcVersion::Ifc2x3);
        let w2 = s2.type_id("IFCWALL").unwrap();
        assert!(s2.attr(w2, "PredefinedType").is_none());
        assert!(s2.is_a_name(w2, "IFCBUILDINGELEMENT"));
        // IFC4X3 renamed the building element supertype.
        let s3 = schema(IfcVersion::Ifc4x3Add2);
        assert!(s3.type_id("IFCBUILDINGELEMENT").is_none());
        assert!(s3.is_a_name(s3.type_id("IFCWALL").unwrap(), "IFCBUILTELEMENT"));
    }

    #[test]
    fn measures_and_derived_attributes() {
        let s = schema(IfcVersion::Ifc4);
        let st = s.type_id("IFCBUILDINGSTOREY").unwrap();
        let (_, a) = s.attr(st, "Elevation").unwrap();
        assert_eq!(
            (a.kind, a.measure),
            (AttrKind::Real, Some("IFCLENGTHMEASURE"))
        );
        assert_eq!(
            s.base_measure("IFCPOSITIVELENGTHMEASURE"),
            "IFCLENGTHMEASURE"
        );
        let si = s.type_id("IFCSIUNIT").unwrap();
        assert!(s.attr(si, "Dimensions").unwrap().1.derived);
    }
}
