//! The property facet 属性集属性: property sets and quantity sets of an element and of
//! its type object, their properties' data types and values in SI units.
//!
//! Property kinds read: IfcPropertySingleValue, IfcPropertyEnumeratedValue,
//! IfcPropertyListValue, IfcPropertyBoundedValue, IfcPropertyTableValue, the simple
//! quantities (IfcQuantityLength … IfcQuantityNumber, data type from the quantity
//! kind), and the explicit attributes of predefined property sets (e.g.
//! IfcDoorLiningProperties). A property whose value is null, '' or UNKNOWN counts as
//! absent. A property with several values (enumerated, list, bounded, table) meets a
//! value when any of its values does.

use crate::facets::{typed_mval, Probe, Text};
use crate::model::{Ent, Model};
use crate::step::Val;
use crate::value::{IdsValue, MVal};

pub struct Want<'a> {
    pub pset: &'a IdsValue,
    pub name: &'a IdsValue,
    pub value: Option<&'a IdsValue>,
    pub data_type: Option<&'a str>,
}

/// One property as found: its data type name and comparable values.
struct Prop {
    name: String,
    data_type: Option<String>,
    values: Vec<MVal>,
}

fn quantity_type(class: &str) -> Option<&'static str> {
    Some(match class {
        "IFCQUANTITYLENGTH" => "IFCLENGTHMEASURE",
        "IFCQUANTITYAREA" => "IFCAREAMEASURE",
        "IFCQUANTITYVOLUME" => "IFCVOLUMEMEASURE",
        "IFCQUANTITYCOUNT" => "IFCCOUNTMEASURE",
        "IFCQUANTITYWEIGHT" => "IFCMASSMEASURE",
        "IFCQUANTITYTIME" => "IFCTIMEMEASURE",
        "IFCQUANTITYNUMBER" => "IFCNUMERICMEASURE",
        _ => return None,
    })
}

fn typed_values(m: &Model, vals: &[Val], unit: Option<Ent>) -> (Option<String>, Vec<MVal>) {
    let mut dt = None;
    let mut out = Vec::new();
    for v in vals {
        if let Val::Typed(t, inner) = v {
            dt.get_or_insert_with(|| t.clone());
            if let Some(Ok(mv)) = typed_mval(m, t, inner, unit) {
                out.push(mv);
            }
        }
    }
    (dt, out)
}

fn list(m: &Model, p: Ent, attr: &str) -> Vec<Val> {
    match m.attr(p, attr) {
        Some(Val::List(l)) => l,
        Some(v @ Val::Typed(..)) => vec![v],
        _ => Vec::new(),
    }
}

fn read_prop(m: &Model, p: Ent) -> Option<Prop> {
    let name = m.attr_str(p, "Name")?;
    let class = m.class(p);
    let unit = m.attr_ref(p, "Unit");
    let (data_type, values) = match class {
        "IFCPROPERTYSINGLEVALUE" => typed_values(m, &list(m, p, "NominalValue"), unit),
        "IFCPROPERTYENUMERATEDVALUE" => typed_values(m, &list(m, p, "EnumerationValues"), unit),
        "IFCPROPERTYLISTVALUE" => typed_values(m, &list(m, p, "ListValues"), unit),
        "IFCPROPERTYBOUNDEDVALUE" => {
            let mut all = Vec::new();
            for a in ["UpperBoundValue", "LowerBoundValue", "SetPointValue"] {
                all.extend(list(m, p, a));
            }
            typed_values(m, &all, unit)
        }
        "IFCPROPERTYTABLEVALUE" => {
            let mut all = list(m, p, "DefiningValues");
            all.extend(list(m, p, "DefinedValues"));
            typed_values(m, &all, None)
        }
        c => {
            let dt = quantity_type(c)?;
            // The value is the quantity's fourth attribute (LengthValue, AreaValue…).
            let raw = m.args(p).get(3).and_then(Val::as_f64)?;
            let v = m.units.for_measure(m, dt, unit).apply(raw);
            (Some(dt.to_string()), vec![MVal::Real(v)])
        }
    };
    Some(Prop {
        name,
        data_type,
        values,
    })
}

/// The explicit non-reference attributes of a predefined property set as properties.
fn predefined_props(m: &Model, pset: Ent) -> Vec<Prop> {
    let Some(ty) = m.ty(pset) else {
        return Vec::new();
    };
    let args = m.args(pset);
    let mut out = Vec::new();
    for (i, def) in m.schema.entity(ty).attrs.iter().enumerate().skip(4) {
        let v = args.get(i).cloned().unwrap_or(Val::Null);
        let mv = match v {
            Val::Real(r) => MVal::Real(
                def.measure
                    .map_or(r, |me| m.units.for_measure(m, me, None).apply(r)),
            ),
            Val::Int(i) => MVal::Int(i),
            Val::Str(s) if !s.is_empty() => MVal::Text(s),
            Val::Enum(s) if s == "T" || s == "F" => MVal::Bool(s == "T"),
            Val::Enum(s) if s != "U" => MVal::Text(s),
            _ => continue,
        };
        out.push(Prop {
            name: def.name.to_string(),
            data_type: def.measure.map(str::to_string),
            values: vec![mv],
        });
    }
    out
}

fn props_of_set(m: &Model, pset: Ent) -> Vec<Prop> {
    let items = if m.is_a(pset, "IFCPROPERTYSET") {
        m.attr_refs(pset, "HasProperties")
    } else if m.is_a(pset, "IFCELEMENTQUANTITY") {
        m.attr_refs(pset, "Quantities")
    } else if m.is_a(pset, "IFCPREDEFINEDPROPERTYSET")
        || m.is_a(pset, "IFCPROPERTYSETDEFINITION") && !m.is_a(pset, "IFCPROPERTYSET")
    {
        return predefined_props(m, pset);
    } else {
        Vec::new()
    };
    items.into_iter().filter_map(|p| read_prop(m, p)).collect()
}

/// Property sets by name: the type object's first, then the occurrence's over them.
fn psets(m: &Model, e: Ent) -> Vec<(String, Vec<Prop>)> {
    let mut defs: Vec<Ent> = Vec::new();
    let type_sets = |t: Ent, defs: &mut Vec<Ent>| defs.extend(m.attr_refs(t, "HasPropertySets"));
    if let Some(&t) = m.rel.type_of.get(&e) {
        type_sets(t, &mut defs);
    }
    if m.is_a(e, "IFCTYPEOBJECT") {
        type_sets(e, &mut defs);
    }
    defs.extend(m.rel.psets.get(&e).into_iter().flatten().copied());
    let mut out: Vec<(String, Vec<Prop>)> = Vec::new();
    for d in defs {
        let Some(name) = m.attr_str(d, "Name") else {
            continue;
        };
        let props = props_of_set(m, d);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                for p in props {
                    existing.retain(|x| x.name != p.name);
                    existing.push(p);
                }
            }
            None => out.push((name, props)),
        }
    }
    out
}

pub fn probe(m: &Model, e: Ent, w: &Want) -> Probe {
    let sets: Vec<(String, Vec<Prop>)> = psets(m, e)
        .into_iter()
        .filter(|(n, _)| w.pset.matches_text(n))
        .collect();
    if sets.is_empty() {
        return Probe {
            found: false,
            ok: false,
            detail: Text::new("无此属性集", "no such property set"),
        };
    }
    let mut ok = true;
    let mut shown = Vec::new();
    for (set, props) in &sets {
        let matching: Vec<&Prop> = props
            .iter()
            .filter(|p| w.name.matches_text(&p.name) && !p.values.is_empty())
            .collect();
        if matching.is_empty() {
            return Probe {
                found: false,
                ok: false,
                detail: Text::new(
                    format!("属性集 {set} 中无此属性或其值为空"),
                    format!("{set} has no such property, or it is empty"),
                ),
            };
        }
        for p in matching {
            let dt = p.data_type.clone().unwrap_or_else(|| "?".into());
            if w.data_type.is_some_and(|d| !d.eq_ignore_ascii_case(&dt)) {
                ok = false;
            }
            if let Some(v) = w.value {
                if !p.values.iter().any(|x| v.matches(x)) {
                    ok = false;
                }
            }
            let vals: Vec<String> = p.values.iter().map(|v| v.to_string()).collect();
            shown.push(format!("{set}.{} = {} ({dt})", p.name, vals.join(", ")));
        }
    }
    let s = shown.join("; ");
    Probe {
        found: true,
        ok,
        detail: Text::new(format!("实际为 {s}"), format!("found {s}")),
    }
}
