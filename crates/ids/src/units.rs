//! Units 单位: IDS states measures in SI (metre, square metre, kilogram, kelvin…), so a
//! model value is converted with the model's unit before it is compared. The unit of a
//! measure is the one its own entity names (a property's or quantity's `Unit`), else the
//! project's `IfcUnitAssignment` entry of the measure's unit type, else SI.
//!
//! A measure's unit type follows from its name: `IFCLENGTHMEASURE` → `LENGTHUNIT`,
//! `IFCTHERMALTRANSMITTANCEMEASURE` → `THERMALTRANSMITTANCEUNIT` (the IfcUnitEnum and
//! IfcDerivedUnitEnum names), after reducing a specialised measure to its base
//! (`IFCPOSITIVELENGTHMEASURE` → `IFCLENGTHMEASURE`) with the schema table.
//! SI units: prefix (raised to the unit's power for square and cubic units) and, for
//! GRAM, the kilogram base. Conversion-based units: their factor times their base unit's.
//! Derived units: the product of their elements' factors raised to their exponents.
//! Degrees Celsius and Fahrenheit carry an offset to kelvin.

use crate::model::{Ent, Model};
use crate::step::Val;
use rustc_hash::FxHashMap as HashMap;

/// value_SI = value × factor + offset
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    pub factor: f64,
    pub offset: f64,
}

impl Conversion {
    pub const SI: Conversion = Conversion {
        factor: 1.0,
        offset: 0.0,
    };

    pub fn apply(self, v: f64) -> f64 {
        v * self.factor + self.offset
    }
}

/// The project's units by unit type (`LENGTHUNIT` → millimetre's conversion).
#[derive(Debug, Default)]
pub struct Units {
    by_type: HashMap<String, Conversion>,
}

/// The unit type a measure is expressed in (`IFCAREAMEASURE` → `AREAUNIT`).
pub fn unit_type_of(model: &Model, measure: &str) -> Option<String> {
    let base = model.schema.base_measure(measure);
    let stem = base.strip_prefix("IFC")?.strip_suffix("MEASURE")?;
    Some(format!("{stem}UNIT"))
}

impl Units {
    pub fn read(model: &Model) -> Units {
        let mut u = Units::default();
        let projects = model.of_type_deep("IFCPROJECT");
        let Some(&project) = projects.first() else {
            return u;
        };
        let Some(assignment) = model.attr_ref(project, "UnitsInContext") else {
            return u;
        };
        for unit in model.attr_refs(assignment, "Units") {
            let Some(ty) = model.attr_str(unit, "UnitType") else {
                continue;
            };
            if let Some(c) = conversion(model, unit, 0) {
                u.by_type.insert(ty, c);
            }
        }
        u
    }

    /// The conversion of a value of `measure` (upper case), with the unit the value's own
    /// entity names, if any.
    pub fn for_measure(&self, model: &Model, measure: &str, own_unit: Option<Ent>) -> Conversion {
        if let Some(c) = own_unit.and_then(|e| conversion(model, e, 0)) {
            return c;
        }
        unit_type_of(model, measure)
            .and_then(|t| self.by_type.get(&t).copied())
            .unwrap_or(Conversion::SI)
    }
}

/// The conversion of one unit entity to SI; `None` for what has no SI meaning here
/// (monetary units, unknown entities, cycles).
pub fn conversion(model: &Model, unit: Ent, depth: u32) -> Option<Conversion> {
    if depth > 8 {
        return None;
    }
    match model.class(unit) {
        "IFCSIUNIT" => Some(si_unit(model, unit)),
        "IFCCONVERSIONBASEDUNIT" | "IFCCONVERSIONBASEDUNITWITHOFFSET" => {
            let mwu = model.attr_ref(unit, "ConversionFactor")?;
            let value = model.attr(mwu, "ValueComponent")?.as_f64()?;
            let base = model
                .attr_ref(mwu, "UnitComponent")
                .and_then(|b| conversion(model, b, depth + 1))
                .unwrap_or(Conversion::SI);
            let offset = model
                .attr(unit, "ConversionOffset")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            Some(Conversion {
                factor: value * base.factor,
                offset: offset * value * base.factor + base.offset,
            })
        }
        "IFCDERIVEDUNIT" => {
            let mut factor = 1.0;
            for el in model.attr_refs(unit, "Elements") {
                let u = model.attr_ref(el, "Unit")?;
                let exp = model
                    .attr(el, "Exponent")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(1.0);
                factor *= conversion(model, u, depth + 1)?.factor.powf(exp);
            }
            Some(Conversion {
                factor,
                offset: 0.0,
            })
        }
        _ => None,
    }
}

fn si_unit(model: &Model, unit: Ent) -> Conversion {
    let name = model.attr_str(unit, "Name").unwrap_or_default();
    let prefix = match model.attr(unit, "Prefix") {
        Some(Val::Enum(p)) => zhishen_ifc::units::si_prefix_factor(Some(&p)),
        _ => 1.0,
    };
    let power = if name.starts_with("SQUARE_") {
        2
    } else if name.starts_with("CUBIC_") {
        3
    } else {
        1
    };
    let mut factor = prefix.powi(power);
    let mut offset = 0.0;
    match name.as_str() {
        "GRAM" => factor *= 1e-3,
        "DEGREE_CELSIUS" => offset = 273.15,
        _ => {}
    }
    Conversion { factor, offset }
}
