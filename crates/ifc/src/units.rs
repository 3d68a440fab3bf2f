//! IFC SI prefixes (`IfcSIPrefix`): one table for every reader of unit assignments —
//! the model loader and the IDS checker's unit conversion.

/// The factor of an `IfcSIPrefix` enumeration value (`MILLI` → 1e-3); no prefix, or a
/// value the schema does not define, is 1.
pub fn si_prefix_factor(prefix: Option<&str>) -> f64 {
    match prefix.unwrap_or("") {
        "EXA" => 1e18,
        "PETA" => 1e15,
        "TERA" => 1e12,
        "GIGA" => 1e9,
        "MEGA" => 1e6,
        "KILO" => 1e3,
        "HECTO" => 1e2,
        "DECA" => 1e1,
        "DECI" => 1e-1,
        "CENTI" => 1e-2,
        "MILLI" => 1e-3,
        "MICRO" => 1e-6,
        "NANO" => 1e-9,
        "PICO" => 1e-12,
        "FEMTO" => 1e-15,
        "ATTO" => 1e-18,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::si_prefix_factor;

    #[test]
    fn every_ifc_si_prefix_has_its_power_of_ten() {
        let powers = [
            ("EXA", 18),
            ("PETA", 15),
            ("TERA", 12),
            ("GIGA", 9),
            ("MEGA", 6),
            ("KILO", 3),
            ("HECTO", 2),
            ("DECA", 1),
            ("DECI", -1),
            ("CENTI", -2),
            ("MILLI", -3),
            ("MICRO", -6),
            ("NANO", -9),
            ("PICO", -12),
            ("FEMTO", -15),
            ("ATTO", -18),
        ];
        for (p, e) in powers {
            let f = si_prefix_factor(Some(p));
            assert!((f / 10f64.powi(e) - 1.0).abs() < 1e-12, "{p}: {f}");
        }
        assert_eq!(si_prefix_factor(None), 1.0);
        assert_eq!(si_prefix_factor(Some("MILLIS")), 1.0);
    }
}
