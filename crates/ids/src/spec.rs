//! The IDS document 信息交付规范: parsed and validated in one pass.
//!
//! Validation is done by hand, following the structure of IDS 1.0's `ids.xsd` element by
//! element (order, occurrence, required and allowed attributes, enumerations, the
//! author pattern, xs:date, the `upperCaseName` pattern, restriction facets), because
//! the XSD imports the W3C schemas by URL and this service runs offline; libxml2 would
//! need local copies of those schemas and a C dependency for one file. The XSD itself is
//! neither embedded nor read at run time (docs/ids.md). Every refusal names the line and
//! the rule broken; an invalid IDS is bad input (exit 2), never checked.

use crate::error::IdsError;
use crate::schema::IfcVersion;
use crate::value::{compile_pattern, Bound, IdsValue, Restriction};
use roxmltree::{Document, Node};

pub const IDS_NS: &str = "http://standards.buildingsmart.org/IDS";
pub const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Facet and specification cardinality 基数.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cardinality {
    Required,
    Optional,
    Prohibited,
}

impl Cardinality {
    pub fn zh(self) -> &'static str {
        match self {
            Cardinality::Required => "必需",
            Cardinality::Optional => "可选",
            Cardinality::Prohibited => "禁止",
        }
    }
}

/// The relation a partOf facet walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Relation {
    #[serde(rename = "IFCRELAGGREGATES")]
    Aggregates,
    #[serde(rename = "IFCRELASSIGNSTOGROUP")]
    AssignsToGroup,
    #[serde(rename = "IFCRELCONTAINEDINSPATIALSTRUCTURE")]
    ContainedInSpatialStructure,
    #[serde(rename = "IFCRELNESTS")]
    Nests,
    #[serde(rename = "IFCRELVOIDSELEMENT IFCRELFILLSELEMENT")]
    VoidsFills,
}

impl Relation {
    fn parse(s: &str) -> Option<Relation> {
        Some(match s {
            "IFCRELAGGREGATES" => Relation::Aggregates,
            "IFCRELASSIGNSTOGROUP" => Relation::AssignsToGroup,
            "IFCRELCONTAINEDINSPATIALSTRUCTURE" => Relation::ContainedInSpatialStructure,
            "IFCRELNESTS" => Relation::Nests,
            "IFCRELVOIDSELEMENT IFCRELFILLSELEMENT" => Relation::VoidsFills,
            _ => return None,
        })
    }
}

/// The six facet kinds 面 and their parameters.
#[derive(Debug, Clone)]
pub enum FacetKind {
    Entity {
        name: IdsValue,
        predefined: Option<IdsValue>,
    },
    Attribute {
        name: IdsValue,
        value: Option<IdsValue>,
    },
    Classification {
        value: Option<IdsValue>,
        system: Option<IdsValue>,
    },
    Property {
        pset: IdsValue,
        name: IdsValue,
        value: Option<IdsValue>,
        data_type: Option<String>,
    },
    Material {
        value: Option<IdsValue>,
    },
    PartOf {
        entity: IdsValue,
        predefined: Option<IdsValue>,
        relation: Option<Relation>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FacetType {
    Entity,
    Attribute,
    Classification,
    Property,
    Material,
    PartOf,
}

impl FacetType {
    fn parse(local: &str) -> Option<FacetType> {
        Some(match local {
            "entity" => FacetType::Entity,
            "attribute" => FacetType::Attribute,
            "classification" => FacetType::Classification,
            "property" => FacetType::Property,
            "material" => FacetType::Material,
            "partOf" => FacetType::PartOf,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FacetType::Entity => "entity",
            FacetType::Attribute => "attribute",
            FacetType::Classification => "classification",
            FacetType::Property => "property",
            FacetType::Material => "material",
            FacetType::PartOf => "partOf",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FacetType::Entity => "实体",
            FacetType::Attribute => "属性(Attribute)",
            FacetType::Classification => "分类",
            FacetType::Property => "属性集属性(Property)",
            FacetType::Material => "材料",
            FacetType::PartOf => "从属关系(partOf)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Facet {
    pub kind: FacetKind,
    pub cardinality: Cardinality,
    pub instructions: Option<String>,
    pub line: u32,
}

impl Facet {
    pub fn facet_type(&self) -> FacetType {
        match self.kind {
            FacetKind::Entity { .. } => FacetType::Entity,
            FacetKind::Attribute { .. } => FacetType::Attribute,
            FacetKind::Classification { .. } => FacetType::Classification,
            FacetKind::Property { .. } => FacetType::Property,
            FacetKind::Material { .. } => FacetType::Material,
            FacetKind::PartOf { .. } => FacetType::PartOf,
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Info {
    pub title: String,
    pub copyright: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub purpose: Option<String>,
    pub milestone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Specification {
    pub name: String,
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub versions: Vec<IfcVersion>,
    /// From applicability minOccurs/maxOccurs: maxOccurs 0 prohibited, else minOccurs
    /// 1 or more required (also when absent: the XSD default is 1), else optional.
    pub cardinality: Cardinality,
    pub applicability: Vec<Facet>,
    pub requirements: Vec<Facet>,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct Ids {
    pub info: Info,
    pub specifications: Vec<Specification>,
}

struct Ctx<'a> {
    file: &'a str,
    doc: &'a Document<'a>,
}

type R<T> = Result<T, IdsError>;

impl Ctx<'_> {
    fn line(&self, n: Node) -> u32 {
        self.doc.text_pos_at(n.range().start).row
    }

    fn bad<T>(&self, n: Node, rule: impl Into<String>) -> R<T> {
        Err(IdsError::InvalidIds {
            file: self.file.into(),
            line: self.line(n),
            rule: rule.into(),
        })
    }

    /// The element children; text other than whitespace is an error (no mixed content).
    fn children<'b>(&self, n: Node<'b, 'b>) -> R<Vec<Node<'b, 'b>>> {
        let mut out = Vec::new();
        for c in n.children() {
            if c.is_element() {
                out.push(c);
            } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
                return self.bad(
                    n,
                    format!(
                        "<{}> may contain only elements, not text",
                        n.tag_name().name()
                    ),
                );
            }
        }
        Ok(out)
    }

    /// Only `allowed` attributes (plus xsi:/xml: ones), and `required` present.
    fn attrs(&self, n: Node, allowed: &[&str], required: &[&str]) -> R<()> {
        for a in n.attributes() {
            let ns = a.namespace();
            if ns == Some(XSI_NS) || ns == Some(XML_NS) {
                continue;
            }
            if ns.is_some() || !allowed.contains(&a.name()) {
                return self.bad(
                    n,
                    format!(
                        "attribute {:?} is not allowed on <{}>",
                        a.name(),
                        n.tag_name().name()
                    ),
                );
            }
        }
        for r in required {
            if n.attribute(*r).is_none() {
                return self.bad(
                    n,
                    format!("<{}> requires attribute {r:?}", n.tag_name().name()),
                );
            }
        }
        Ok(())
    }

    fn expect_ids<'b>(&self, n: Node<'b, 'b>, local: &str) -> R<Node<'b, 'b>> {
        if n.tag_name().namespace() != Some(IDS_NS) || n.tag_name().name() != local {
            return self.bad(
                n,
                format!(
                    "expected <{local}> in the IDS namespace, found <{}>",
                    n.tag_name().name()
                ),
            );
        }
        Ok(n)
    }

    fn text(&self, n: Node) -> R<String> {
        if n.children().any(|c| c.is_element()) {
            return self.bad(n, format!("<{}> holds text only", n.tag_name().name()));
        }
        Ok(n.text().unwrap_or("").to_string())
    }
}

/// Parses and validates an IDS document. `file` names it in messages.
pub fn parse(xml: &str, file: &str) -> R<Ids> {
    let doc = Document::parse(xml).map_err(|e| IdsError::Xml {
        file: file.into(),
        line: e.pos().row,
        what: e.to_string(),
    })?;
    let cx = Ctx { file, doc: &doc };
    let root = cx.expect_ids(doc.root_element(), "ids")?;
    cx.attrs(root, &[], &[])?;
    let kids = cx.children(root)?;
    let [info, specs] = kids.as_slice() else {
        return cx.bad(root, "<ids> must hold exactly <info> then <specifications>");
    };
    let info = parse_info(&cx, cx.expect_ids(*info, "info")?)?;
    let specs_node = cx.expect_ids(*specs, "specifications")?;
    cx.attrs(specs_node, &[], &[])?;
    let mut specifications = Vec::new();
    for s in cx.children(specs_node)? {
        specifications.push(parse_spec(&cx, cx.expect_ids(s, "specification")?)?);
    }
    if specifications.is_empty() {
        return cx.bad(
            specs_node,
            "<specifications> needs at least one <specification>",
        );
    }
    Ok(Ids {
        info,
        specifications,
    })
}

const INFO_ORDER: [&str; 8] = [
    "title",
    "copyright",
    "version",
    "description",
    "author",
    "date",
    "purpose",
    "milestone",
];

fn parse_info(cx: &Ctx, n: Node) -> R<Info> {
    cx.attrs(n, &[], &[])?;
    let mut info = Info::default();
    let mut next = 0;
    let mut has_title = false;
    for c in cx.children(n)? {
        let local = c.tag_name().name();
        let pos = INFO_ORDER
            .iter()
            .position(|x| *x == local)
            .filter(|_| c.tag_name().namespace() == Some(IDS_NS));
        let Some(pos) = pos.filter(|p| *p >= next) else {
            return cx.bad(
                c,
                format!(
                    "<{local}> is not allowed here in <info> (order: {})",
                    INFO_ORDER.join(", ")
                ),
            );
        };
        next = pos + 1;
        cx.attrs(c, &[], &[])?;
        let t = cx.text(c)?;
        match local {
            "title" => {
                has_title = true;
                info.title = t;
            }
            "copyright" => info.copyright = Some(t),
            "version" => info.version = Some(t),
            "description" => info.description = Some(t),
            "author" => {
                if !author_ok(&t) {
                    return cx.bad(c, format!("<author> {t:?} does not match the pattern [^@]+@[^\\.]+\\..+ (an e-mail address)"));
                }
                info.author = Some(t);
            }
            "date" => {
                if !xs_date_ok(t.trim()) {
                    return cx.bad(c, format!("<date> {t:?} is not an xs:date (YYYY-MM-DD)"));
                }
                info.date = Some(t);
            }
            "purpose" => info.purpose = Some(t),
            _ => info.milestone = Some(t),
        }
    }
    if !has_title {
        return cx.bad(n, "<info> requires <title>");
    }
    Ok(info)
}

fn author_ok(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.contains('@') {
        return false;
    }
    // [^\.]+\..+ : a dot-free run, a dot, then anything
    match domain.find('.') {
        Some(d) => d > 0 && d + 1 < domain.len(),
        None => false,
    }
}

fn xs_date_ok(s: &str) -> bool {
    // YYYY-MM-DD with an optional zone: Z or +hh:mm / -hh:mm
    if s.len() < 10 || !s.is_char_boundary(10) {
        return false;
    }
    let (date, tz) = s.split_at(10);
    let tz_ok = tz.is_empty()
        || tz == "Z"
        || (tz.len() == 6
            && (tz.starts_with('+') || tz.starts_with('-'))
            && tz.as_bytes()[3] == b':'
            && tz
                .get(1..3)
                .and_then(|h| h.parse::<u8>().ok())
                .is_some_and(|h| h <= 14)
            && tz
                .get(4..)
                .and_then(|m| m.parse::<u8>().ok())
                .is_some_and(|m| m < 60));
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || !date.is_ascii() {
        return false;
    }
    let (Ok(_), Ok(m), Ok(d)) = (
        date[..4].parse::<u32>(),
        date[5..7].parse::<u32>(),
        date[8..].parse::<u32>(),
    ) else {
        return false;
    };
    tz_ok && (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn parse_spec(cx: &Ctx, n: Node) -> R<Specification> {
    cx.attrs(
        n,
        &[
            "name",
            "ifcVersion",
            "identifier",
            "description",
            "instructions",
        ],
        &["name", "ifcVersion"],
    )?;
    let mut versions = Vec::new();
    for tok in n.attribute("ifcVersion").unwrap_or("").split_whitespace() {
        match IfcVersion::from_ids(tok) {
            Some(v) if !versions.contains(&v) => versions.push(v),
            Some(_) => {}
            None => {
                return cx.bad(
                    n,
                    format!("ifcVersion {tok:?} is not one of IFC2X3, IFC4, IFC4X3_ADD2"),
                )
            }
        }
    }
    if versions.is_empty() {
        return cx.bad(
            n,
            "ifcVersion must list at least one of IFC2X3, IFC4, IFC4X3_ADD2",
        );
    }
    let kids = cx.children(n)?;
    let (app, req) = match kids.as_slice() {
        [a] => (*a, None),
        [a, r] => (*a, Some(*r)),
        _ => {
            return cx.bad(
                n,
                "<specification> holds <applicability> and optionally <requirements>",
            )
        }
    };
    let app = cx.expect_ids(app, "applicability")?;
    cx.attrs(app, &["minOccurs", "maxOccurs"], &[])?;
    let cardinality = spec_cardinality(cx, app)?;
    let applicability = parse_applicability(cx, app)?;
    let requirements = match req {
        Some(r) => {
            let r = cx.expect_ids(r, "requirements")?;
            cx.attrs(r, &["description"], &[])?;
            parse_requirements(cx, r)?
        }
        None => Vec::new(),
    };
    let opt = |a: &str| n.attribute(a).map(str::to_string);
    Ok(Specification {
        name: n.attribute("name").unwrap_or_default().to_string(),
        identifier: opt("identifier"),
        description: opt("description"),
        instructions: opt("instructions"),
        versions,
        cardinality,
        applicability,
        requirements,
        line: cx.line(n),
    })
}

fn spec_cardinality(cx: &Ctx, app: Node) -> R<Cardinality> {
    // Absent attributes take the defaults of XML Schema's xs:occurs group (1 and 1), as
    // a schema-aware reader of ids.xsd fills them in: a specification is required.
    let min = match app.attribute("minOccurs") {
        None => 1,
        Some(s) => match s.trim().parse::<u64>() {
            Ok(v) => v,
            Err(_) => {
                return cx.bad(
                    app,
                    format!("minOccurs {s:?} is not a non-negative integer"),
                )
            }
        },
    };
    let max = match app.attribute("maxOccurs").map(str::trim) {
        None => Some(1),
        Some("unbounded") => None,
        Some(s) => match s.parse::<u64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return cx.bad(
                    app,
                    format!("maxOccurs {s:?} is neither a non-negative integer nor \"unbounded\""),
                )
            }
        },
    };
    Ok(if max == Some(0) {
        Cardinality::Prohibited
    } else if min >= 1 {
        Cardinality::Required
    } else {
        Cardinality::Optional
    })
}

const APPLICABILITY_ORDER: [FacetType; 6] = [
    FacetType::Entity,
    FacetType::PartOf,
    FacetType::Classification,
    FacetType::Attribute,
    FacetType::Property,
    FacetType::Material,
];

fn facet_type_of(cx: &Ctx, c: Node) -> R<FacetType> {
    let t = (c.tag_name().namespace() == Some(IDS_NS))
        .then(|| FacetType::parse(c.tag_name().name()))
        .flatten();
    match t {
        Some(t) => Ok(t),
        None => cx.bad(c, format!("<{}> is not a facet (entity, partOf, classification, attribute, property, material)", c.tag_name().name())),
    }
}

fn parse_applicability(cx: &Ctx, n: Node) -> R<Vec<Facet>> {
    let mut out = Vec::new();
    let mut next = 0;
    for c in cx.children(n)? {
        let t = facet_type_of(cx, c)?;
        let pos = APPLICABILITY_ORDER
            .iter()
            .position(|x| *x == t)
            .unwrap_or(0);
        if pos < next
            || (t == FacetType::Entity
                && out
                    .iter()
                    .any(|f: &Facet| f.facet_type() == FacetType::Entity))
        {
            return cx.bad(c, "applicability facets go in the order entity (at most one), partOf, classification, attribute, property, material");
        }
        next = pos;
        out.push(parse_facet(cx, c, t, false)?);
    }
    Ok(out)
}

fn parse_requirements(cx: &Ctx, n: Node) -> R<Vec<Facet>> {
    let mut out = Vec::new();
    for c in cx.children(n)? {
        let t = facet_type_of(cx, c)?;
        out.push(parse_facet(cx, c, t, true)?);
    }
    Ok(out)
}

fn facet_attrs(t: FacetType, requirement: bool) -> &'static [&'static str] {
    match (t, requirement) {
        (FacetType::Property, false) => &["dataType"],
        (FacetType::PartOf, false) => &["relation"],
        (_, false) => &[],
        (FacetType::Entity, true) => &["instructions"],
        (FacetType::PartOf, true) => &["relation", "cardinality", "instructions"],
        (FacetType::Attribute, true) => &["cardinality", "instructions"],
        (FacetType::Property, true) => &["dataType", "uri", "cardinality", "instructions"],
        (FacetType::Classification | FacetType::Material, true) => {
            &["uri", "cardinality", "instructions"]
        }
    }
}

fn facet_cardinality(cx: &Ctx, n: Node, t: FacetType) -> R<Cardinality> {
    Ok(match n.attribute("cardinality") {
        None | Some("required") => Cardinality::Required,
        Some("prohibited") => Cardinality::Prohibited,
        Some("optional") if t != FacetType::PartOf => Cardinality::Optional,
        Some(s) => {
            let allowed = if t == FacetType::PartOf {
                "required, prohibited"
            } else {
                "required, prohibited, optional"
            };
            return cx.bad(
                n,
                format!(
                    "cardinality {s:?} on <{}> is not one of {allowed}",
                    t.as_str()
                ),
            );
        }
    })
}

fn parse_facet(cx: &Ctx, n: Node, t: FacetType, requirement: bool) -> R<Facet> {
    cx.attrs(n, facet_attrs(t, requirement), &[])?;
    let cardinality = if requirement {
        facet_cardinality(cx, n, t)?
    } else {
        Cardinality::Required
    };
    let kids = cx.children(n)?;
    let kind = match t {
        FacetType::Entity => {
            let (name, predefined) = entity_parts(cx, n, &kids)?;
            FacetKind::Entity { name, predefined }
        }
        FacetType::Attribute => {
            let v = values(cx, n, &kids, &[("name", true), ("value", false)])?;
            FacetKind::Attribute {
                name: req(v[0].clone()),
                value: v[1].clone(),
            }
        }
        FacetType::Classification => {
            let v = values(cx, n, &kids, &[("value", false), ("system", true)])?;
            FacetKind::Classification {
                value: v[0].clone(),
                system: v[1].clone(),
            }
        }
        FacetType::Property => {
            let v = values(
                cx,
                n,
                &kids,
                &[("propertySet", true), ("baseName", true), ("value", false)],
            )?;
            let data_type = match n.attribute("dataType") {
                Some(d) if d.is_empty() || !d.chars().all(|c| c.is_ascii_uppercase()) => {
                    return cx.bad(
                        n,
                        format!("dataType {d:?} must be an upper-case IFC type name ([A-Z]+)"),
                    );
                }
                d => d.map(str::to_string),
            };
            FacetKind::Property {
                pset: req(v[0].clone()),
                name: req(v[1].clone()),
                value: v[2].clone(),
                data_type,
            }
        }
        FacetType::Material => {
            let v = values(cx, n, &kids, &[("value", false)])?;
            FacetKind::Material {
                value: v[0].clone(),
            }
        }
        FacetType::PartOf => {
            let [e] = kids.as_slice() else {
                return cx.bad(n, "<partOf> holds exactly one <entity>");
            };
            let e = cx.expect_ids(*e, "entity")?;
            cx.attrs(e, &[], &[])?;
            let ekids = cx.children(e)?;
            let (entity, predefined) = entity_parts(cx, e, &ekids)?;
            let relation = match n.attribute("relation") {
                None => None,
                Some(r) => match Relation::parse(r) {
                    Some(r) => Some(r),
                    None => {
                        return cx.bad(
                            n,
                            format!("relation {r:?} is not one of the five IDS relations"),
                        )
                    }
                },
            };
            FacetKind::PartOf {
                entity,
                predefined,
                relation,
            }
        }
    };
    Ok(Facet {
        kind,
        cardinality,
        instructions: n.attribute("instructions").map(str::to_string),
        line: cx.line(n),
    })
}

fn req(v: Option<IdsValue>) -> IdsValue {
    v.unwrap_or(IdsValue::Simple(String::new()))
}

fn entity_parts(cx: &Ctx, n: Node, kids: &[Node]) -> R<(IdsValue, Option<IdsValue>)> {
    let v = values(cx, n, kids, &[("name", true), ("predefinedType", false)])?;
    Ok((req(v[0].clone()), v[1].clone()))
}

/// The `ids:idsValue` children of a facet, in the XSD's order: (local name, required).
fn values(cx: &Ctx, n: Node, kids: &[Node], order: &[(&str, bool)]) -> R<Vec<Option<IdsValue>>> {
    let mut out = vec![None; order.len()];
    let mut next = 0;
    for c in kids {
        let local = c.tag_name().name();
        let pos = order
            .iter()
            .position(|(x, _)| *x == local)
            .filter(|_| c.tag_name().namespace() == Some(IDS_NS));
        let Some(pos) = pos.filter(|p| *p >= next) else {
            let names: Vec<&str> = order.iter().map(|o| o.0).collect();
            return cx.bad(
                *c,
                format!(
                    "<{local}> is not allowed here in <{}> (expected, in order: {})",
                    n.tag_name().name(),
                    names.join(", ")
                ),
            );
        };
        next = pos + 1;
        cx.attrs(*c, &[], &[])?;
        out[pos] = Some(ids_value(cx, *c)?);
    }
    for (i, (name, required)) in order.iter().enumerate() {
        if *required && out[i].is_none() {
            return cx.bad(n, format!("<{}> requires <{name}>", n.tag_name().name()));
        }
    }
    Ok(out)
}

fn ids_value(cx: &Ctx, n: Node) -> R<IdsValue> {
    let kids = cx.children(n)?;
    let [c] = kids.as_slice() else {
        return cx.bad(
            n,
            format!(
                "<{}> holds exactly one <simpleValue> or <xs:restriction>",
                n.tag_name().name()
            ),
        );
    };
    match (c.tag_name().namespace(), c.tag_name().name()) {
        (Some(IDS_NS), "simpleValue") => {
            cx.attrs(*c, &[], &[])?;
            Ok(IdsValue::Simple(cx.text(*c)?))
        }
        (Some(XS_NS), "restriction") => Ok(IdsValue::Restriction(restriction(cx, *c)?)),
        _ => cx.bad(
            *c,
            format!(
                "<{}> is neither <simpleValue> nor <xs:restriction>",
                c.tag_name().name()
            ),
        ),
    }
}

fn restriction(cx: &Ctx, n: Node) -> R<Restriction> {
    cx.attrs(n, &["base", "id"], &[])?;
    let mut r = Restriction {
        base: n
            .attribute("base")
            .map(|b| b.rsplit(':').next().unwrap_or(b).to_string()),
        ..Default::default()
    };
    for c in cx.children(n)? {
        if c.tag_name().namespace() != Some(XS_NS) {
            return cx.bad(
                c,
                format!(
                    "<{}> inside <xs:restriction> is not an XML Schema facet",
                    c.tag_name().name()
                ),
            );
        }
        let local = c.tag_name().name();
        if local == "annotation" {
            continue;
        }
        cx.attrs(c, &["value", "fixed", "id"], &["value"])?;
        let v = c.attribute("value").unwrap_or_default();
        restriction_facet(cx, c, local, v, &mut r)?;
    }
    Ok(r)
}

fn restriction_facet(cx: &Ctx, c: Node, local: &str, v: &str, r: &mut Restriction) -> R<()> {
    let count = |cx: &Ctx| -> R<usize> {
        v.trim().parse::<usize>().or_else(|_| {
            cx.bad(
                c,
                format!("<xs:{local}> value {v:?} is not a non-negative integer"),
            )
        })
    };
    let number = |cx: &Ctx| -> R<f64> {
        v.trim()
            .parse::<f64>()
            .or_else(|_| cx.bad(c, format!("<xs:{local}> value {v:?} is not a number")))
    };
    match local {
        "enumeration" => r.enumeration.push(v.to_string()),
        "pattern" => match compile_pattern(v) {
            Ok(p) => r.patterns.push(p),
            Err(e) => {
                return cx.bad(
                    c,
                    format!("<xs:pattern> is not a usable XML Schema regular expression: {e}"),
                )
            }
        },
        "minInclusive" => r.bounds.push((Bound::MinInclusive, number(cx)?)),
        "minExclusive" => r.bounds.push((Bound::MinExclusive, number(cx)?)),
        "maxInclusive" => r.bounds.push((Bound::MaxInclusive, number(cx)?)),
        "maxExclusive" => r.bounds.push((Bound::MaxExclusive, number(cx)?)),
        "length" => r.length = Some(count(cx)?),
        "minLength" => r.min_length = Some(count(cx)?),
        "maxLength" => r.max_length = Some(count(cx)?),
        "totalDigits" | "fractionDigits" | "whiteSpace" => {}
        _ => return cx.bad(c, format!("<xs:{local}> is not a restriction facet")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_and_date_rules() {
        assert!(author_ok("a@b.cn"));
        assert!(!author_ok("ab.cn"));
        assert!(!author_ok("a@bcn"));
        assert!(xs_date_ok("2026-12-05"));
        assert!(xs_date_ok("2026-12-05Z"));
        assert!(xs_date_ok("2026-12-05+08:00"));
        assert!(!xs_date_ok("2026-13-05"));
        assert!(!xs_date_ok("05/12/2026"));
    }
}
