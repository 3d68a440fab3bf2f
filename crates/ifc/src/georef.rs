//! Georeferencing 地理配准: IfcMapConversion + IfcProjectedCRS (IFC4+),
//! ePSet_MapConversion / ePSet_ProjectedCRS (IFC2x3) and IfcSite RefLatitude/RefLongitude.
//!
//! Raw values are kept exactly as written; derived metre values sit beside them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    None,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Crs {
    pub name: Option<String>,
    pub description: Option<String>,
    pub geodetic_datum: Option<String>,
    pub vertical_datum: Option<String>,
    pub map_projection: Option<String>,
    pub map_zone: Option<String>,
    /// IfcProjectedCRS.MapUnit in metres, when declared.
    pub map_unit_m: Option<f64>,
}

impl Crs {
    /// EPSG code parsed from the name (`EPSG:4547`, `EPSG 4547`, `4547`).
    pub fn epsg(&self) -> Option<u32> {
        let n = self.name.as_deref()?.trim();
        let digits = n
            .strip_prefix("EPSG")
            .or_else(|| n.strip_prefix("epsg"))
            .unwrap_or(n)
            .trim_start_matches([':', ' ', '_']);
        digits.parse().ok()
    }
}

/// Map conversion values as read from the file (before validation).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMapConversion {
    pub source: &'static str,
    pub eastings: f64,
    pub northings: f64,
    pub orthogonal_height: f64,
    pub x_axis_abscissa: Option<f64>,
    pub x_axis_ordinate: Option<f64>,
    pub scale: Option<f64>,
    pub crs: Option<Crs>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MapConversion {
    /// `IfcMapConversion` or `ePSet_MapConversion`.
    pub source: &'static str,
    pub eastings: f64,
    pub northings: f64,
    pub orthogonal_height: f64,
    pub x_axis_abscissa: Option<f64>,
    pub x_axis_ordinate: Option<f64>,
    pub scale: Option<f64>,
    pub crs: Option<Crs>,
    /// Metres per map unit actually applied (MapUnit, else the project length unit).
    pub map_unit_m: f64,
    /// The scale factor `to_map` applies after converting units (see `assess`).
    pub scale_applied: f64,
    /// atan2(XAxisOrdinate, XAxisAbscissa), degrees counter-clockwise from grid east.
    pub rotation_deg: f64,
    pub eastings_m: f64,
    pub northings_m: f64,
    pub orthogonal_height_m: f64,
    pub confidence: Confidence,
}

impl MapConversion {
    /// Model world coordinates (metres) to map coordinates (metres).
    /// Units are converted implicitly and `Scale` applies on top (IFC 4.3 reading).
    pub fn to_map(&self, p: [f64; 3]) -> [f64; 3] {
        let s = self.scale_applied;
        let (sin, cos) = self.rotation_deg.to_radians().sin_cos();
        [
            self.eastings_m + s * (cos * p[0] - sin * p[1]),
            self.northings_m + s * (sin * p[0] + cos * p[1]),
            self.orthogonal_height_m + p[2],
        ]
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SiteRef {
    pub lat: f64,
    pub lon: f64,
    pub elevation_m: Option<f64>,
    /// Set when the location is a known authoring-tool default, e.g. `Revit default (Boston)`.
    pub default_of: Option<String>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Georef {
    pub map_conversion: Option<MapConversion>,
    pub site_ref: Option<SiteRef>,
    /// Best confidence over the usable sources.
    pub confidence: Confidence,
    pub warnings: Vec<String>,
}

/// Known placeholder locations written by authoring tools (lat, lon, what).
const DEFAULTS: &[(f64, f64, &str)] = &[
    (42.3584, -71.0598, "Revit default location (Boston, USA)"),
    (
        37.7950,
        -122.3940,
        "BricsCAD default location (San Francisco, USA)",
    ),
    (
        37.7950,
        122.3940,
        "BricsCAD default location (San Francisco, longitude sign lost)",
    ),
    (
        47.5597,
        19.0548,
        "ARCHICAD default location (Budapest, Hungary)",
    ),
    (0.0, 0.0, "null island (0, 0): no location set"),
];

/// Known CRS valid areas in metres: (easting min, max, northing min, max).
fn valid_area(epsg: u32) -> Option<(f64, f64, f64, f64)> {
    // China's extent in northing, generous: 0 N (South China Sea) to 54 N.
    const CN_N: (f64, f64) = (0.0, 6_100_000.0);
    Some(match epsg {
        // CGCS2000 3-degree Gauss-Kruger zones 25-45, easting with zone prefix.
        4513..=4533 => {
            let zone = f64::from(epsg - 4513 + 25) * 1_000_000.0;
            (zone + 100_000.0, zone + 900_000.0, CN_N.0, CN_N.1)
        }
        // CGCS2000 3-degree GK by central meridian, no zone prefix.
        4534..=4554 => (100_000.0, 900_000.0, CN_N.0, CN_N.1),
        // CGCS2000 6-degree GK zones 13-23, with prefix.
        4491..=4501 => {
            let zone = f64::from(epsg - 4491 + 13) * 1_000_000.0;
            (zone + 100_000.0, zone + 900_000.0, CN_N.0, CN_N.1)
        }
        4502..=4512 => (100_000.0, 900_000.0, CN_N.0, CN_N.1),
        // WGS 84 / UTM north and south, ETRS89 / UTM.
        32601..=32660 | 25828..=25838 => (100_000.0, 900_000.0, 0.0, 9_400_000.0),
        32701..=32760 => (100_000.0, 900_000.0, 1_000_000.0, 10_000_000.0),
        // Amersfoort / RD New.
        28992 => (-7_000.0, 300_000.0, 289_000.0, 629_000.0),
        // DHDN / 3-degree Gauss-Kruger zones 2-5.
        31466..=31469 => {
            let zone = f64::from(epsg - 31466 + 2) * 1_000_000.0;
            (zone + 200_000.0, zone + 800_000.0, 5_200_000.0, 6_200_000.0)
        }
        27700 => (0.0, 700_000.0, 0.0, 1_300_000.0),
        2326 => (790_000.0, 880_000.0, 790_000.0, 850_000.0),
        3857 => (-20_037_509.0, 20_037_509.0, -20_048_967.0, 20_048_967.0),
        _ => return None,
    })
}

fn inside(a: (f64, f64, f64, f64), e: f64, n: f64) -> bool {
    e >= a.0 && e <= a.1 && n >= a.2 && n <= a.3
}

/// Builds the georeferencing summary. `length_unit_m` is the project length unit.
pub fn assess(
    raw: Option<RawMapConversion>,
    site_ref: Option<(f64, f64, Option<f64>)>,
    length_unit_m: f64,
) -> Georef {
    let mut warnings = Vec::new();
    let map_conversion = raw.map(|r| {
        let map_unit_m = r
            .crs
            .as_ref()
            .and_then(|c| c.map_unit_m)
            .unwrap_or(length_unit_m);
        let (a, o) = (r.x_axis_abscissa.unwrap_or(1.0), r.x_axis_ordinate.unwrap_or(0.0));
        let rotation_deg = if a == 0.0 && o == 0.0 {
            warnings.push(format!(
                "{}: XAxisAbscissa and XAxisOrdinate are both 0; rotation taken as 0",
                r.source
            ));
            0.0
        } else {
            o.atan2(a).to_degrees()
        };
        // Units convert implicitly (IFC 4.3); a Scale equal to the unit conversion is the
        // IFC4 reading of the same thing and is not applied twice.
        let ratio = length_unit_m / map_unit_m;
        let mut scale_applied = r.scale.unwrap_or(1.0);
        let mut scale_confidence = Confidence::High;
        if let Some(s) = r.scale {
            let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            if !(s.is_finite() && s > 0.0) {
                warnings.push(format!("{}: Scale {s} is not a positive number; 1 is used", r.source));
                scale_applied = 1.0;
                scale_confidence = Confidence::Low;
            } else if ratio != 1.0 && near(s, ratio) {
                scale_applied = 1.0;
            } else if ratio != 1.0 && near(s * ratio, 1.0) {
                warnings.push(format!(
                    "{}: Scale {s} is the inverse of the unit conversion (project {length_unit_m} m, map {map_unit_m} m per unit); taken as a unit mix-up and not applied",
                    r.source
                ));
                scale_applied = 1.0;
                scale_confidence = Confidence::Medium;
            } else if !(0.9..=1.1).contains(&s) {
                warnings.push(format!(
                    "{}: Scale {s} is not a plausible grid scale factor (expected close to 1)",
                    r.source
                ));
                scale_confidence = Confidence::Low;
            }
        }
        let (e_m, n_m) = (r.eastings * map_unit_m, r.northings * map_unit_m);
        let mut confidence = scale_confidence;
        let epsg = r.crs.as_ref().and_then(Crs::epsg);
        match (epsg, epsg.and_then(valid_area)) {
            (Some(code), Some(area)) => {
                if !inside(area, e_m, n_m) {
                confidence = Confidence::Low;
                    let mut msg = format!(
                        "{}: eastings/northings {e_m:.3} m / {n_m:.3} m lie outside the valid area of EPSG:{code}; the declared map unit ({map_unit_m} m) is probably wrong",
                        r.source
                    );
                    for (unit, label) in [(0.001, "millimetres"), (0.01, "centimetres"), (1.0, "metres"), (0.3048, "feet")] {
                        if unit != map_unit_m && inside(area, r.eastings * unit, r.northings * unit) {
                            msg.push_str(&format!("; read as {label} they would fall inside"));
                            break;
                        }
                    }
                    warnings.push(msg);
                }
            }
            (Some(code), None) => warnings.push(format!(
                "{}: EPSG:{code} is not in zhishen's table of valid areas; eastings/northings not range-checked",
                r.source
            )),
            (None, _) => {
                confidence = confidence.min(Confidence::Medium);
                warnings.push(format!(
                    "{}: target CRS has no EPSG code ({}); coordinates cannot be checked",
                    r.source,
                    r.crs.as_ref().and_then(|c| c.name.clone()).unwrap_or_else(|| "none".into())
                ));
            }
        }
        MapConversion {
            source: r.source,
            eastings: r.eastings,
            northings: r.northings,
            orthogonal_height: r.orthogonal_height,
            x_axis_abscissa: r.x_axis_abscissa,
            x_axis_ordinate: r.x_axis_ordinate,
            scale: r.scale,
            crs: r.crs,
            scale_applied,
            map_unit_m,
            rotation_deg,
            eastings_m: e_m,
            northings_m: n_m,
            orthogonal_height_m: r.orthogonal_height * map_unit_m,
            confidence,
        }
    });
    let site_ref = site_ref.map(|(lat, lon, elevation_m)| {
        let default_of = DEFAULTS
            .iter()
            .find(|(dlat, dlon, _)| (lat - dlat).abs() < 0.01 && (lon - dlon).abs() < 0.01)
            .map(|(_, _, what)| what.to_string());
        let confidence = if default_of.is_some() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            Confidence::None
        } else {
            // A single reference point without true north: never better than low.
            Confidence::Low
        };
        if let Some(d) = &default_of {
            warnings.push(format!(
                "IfcSite RefLatitude/RefLongitude ({lat:.5}, {lon:.5}) is the {d}; it is not used"
            ));
        } else if confidence == Confidence::None {
            warnings.push(format!(
                "IfcSite RefLatitude/RefLongitude ({lat}, {lon}) is out of range"
            ));
        }
        SiteRef {
            lat,
            lon,
            elevation_m,
            default_of,
            confidence,
        }
    });
    let confidence = map_conversion
        .as_ref()
        .map(|m| m.confidence)
        .into_iter()
        .chain(site_ref.as_ref().map(|s| s.confidence))
        .max()
        .unwrap_or(Confidence::None);
    if map_conversion.is_none() && site_ref.is_none() {
        warnings.push("the model has no georeferencing (no IfcMapConversion, ePSet_MapConversion or IfcSite RefLatitude/RefLongitude)".into());
    }
    Georef {
        map_conversion,
        site_ref,
        confidence,
        warnings,
    }
}

/// IfcCompoundPlaneAngleMeasure (degrees, minutes, seconds, millionths) to decimal degrees.
/// All components carry the sign of the angle.
pub fn compound_angle_deg(parts: &[i64]) -> Option<f64> {
    if parts.len() < 3 {
        return None;
    }
    let mut v = parts[0] as f64 + parts[1] as f64 / 60.0 + parts[2] as f64 / 3600.0;
    if let Some(m) = parts.get(3) {
        v += *m as f64 / 3_600_000_000.0;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcert() -> RawMapConversion {
        RawMapConversion {
            source: "IfcMapConversion",
            eastings: 729013348.8297004,
            northings: 9063992684.697363,
            orthogonal_height: 1300.0000000000011,
            x_axis_abscissa: Some(0.4999999999999999),
            x_axis_ordinate: Some(0.8660254037844387),
            scale: Some(1.0),
            crs: Some(Crs {
                name: Some("EPSG:32760".into()),
                map_unit_m: Some(0.001),
                ..Crs::default()
            }),
        }
    }

    #[test]
    fn millimetre_map_unit_and_rotation() {
        let g = assess(Some(pcert()), None, 0.001);
        let m = g.map_conversion.unwrap();
        assert!((m.rotation_deg - 60.0).abs() < 1e-9);
        assert!((m.eastings_m - 729_013.348_829_700_4).abs() < 1e-6);
        assert!((m.northings_m - 9_063_992.684_697_363).abs() < 1e-6);
        assert!((m.orthogonal_height_m - 1.3).abs() < 1e-9);
        assert_eq!(m.confidence, Confidence::High);
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        // Hand computation: (10, 0) rotated by 60 degrees = (5, 8.660254).
        let p = m.to_map([10.0, 0.0, 2.0]);
        assert!((p[0] - (729_013.348_829_700_4 + 5.0)).abs() < 1e-6);
        assert!((p[1] - (9_063_992.684_697_363 + 8.660_254_037_844_387)).abs() < 1e-6);
        assert!((p[2] - 3.3).abs() < 1e-9);
    }

    #[test]
    fn wrong_map_unit_is_flagged() {
        // Revit 2020 OWL sample: RD New eastings written in mm but MapUnit declared as a foot.
        let mut r = pcert();
        r.eastings = 93869354.318;
        r.northings = 436962869.85;
        r.crs = Some(Crs {
            name: Some("EPSG:28992".into()),
            map_unit_m: Some(0.3048),
            ..Crs::default()
        });
        let g = assess(Some(r), None, 0.001);
        assert_eq!(g.map_conversion.unwrap().confidence, Confidence::Low);
        assert!(g.warnings[0].contains("millimetres"), "{:?}", g.warnings);
    }

    #[test]
    fn scale_that_repeats_or_inverts_the_unit_conversion() {
        // mm project, metre map unit: IFC4 writes Scale 0.001 for the unit change.
        let mut r = pcert();
        r.crs.as_mut().unwrap().map_unit_m = Some(1.0);
        r.eastings = 729013.3488;
        r.northings = 9063992.6847;
        r.scale = Some(0.001);
        let m = assess(Some(r.clone()), None, 0.001).map_conversion.unwrap();
        assert_eq!(m.scale_applied, 1.0);
        assert_eq!(m.confidence, Confidence::High);
        // bSI IFC4X3 sample: Scale 1000 with the same units is a mix-up: flagged, not applied.
        r.scale = Some(1000.0);
        let g = assess(Some(r.clone()), None, 0.001);
        let m = g.map_conversion.unwrap();
        assert_eq!(m.scale_applied, 1.0);
        assert_eq!(m.confidence, Confidence::Medium);
        assert!(g.warnings[0].contains("inverse"), "{:?}", g.warnings);
        // A genuine grid scale factor is applied.
        r.scale = Some(0.9996);
        let m = assess(Some(r), None, 0.001).map_conversion.unwrap();
        assert_eq!(m.scale_applied, 0.9996);
        let p = m.to_map([1000.0, 0.0, 0.0]);
        let cos60 = 0.5;
        assert!((p[0] - (729013.3488 + 0.9996 * 1000.0 * cos60)).abs() < 1e-6);
    }

    #[test]
    fn authoring_defaults_are_flagged() {
        let g = assess(None, Some((42.35866, -71.05674, Some(0.0))), 1.0);
        let s = g.site_ref.unwrap();
        assert!(s.default_of.unwrap().contains("Revit"));
        assert_eq!(s.confidence, Confidence::None);
        assert_eq!(g.confidence, Confidence::None);
        let g = assess(None, Some((37.795, 122.394, None)), 1.0);
        assert!(g.site_ref.unwrap().default_of.unwrap().contains("BricsCAD"));
        let g = assess(None, Some((39.916, 116.433, None)), 1.0);
        assert_eq!(g.site_ref.unwrap().confidence, Confidence::Low);
    }

    #[test]
    fn compound_angles() {
        let lat = compound_angle_deg(&[41, 52, 27, 840000]).unwrap();
        assert!((lat - 41.8744).abs() < 1e-9);
        let lon = compound_angle_deg(&[-87, -38, -21, -839999]).unwrap();
        assert!((lon - -87.63939999972223).abs() < 1e-9);
    }

    #[test]
    fn epsg_parsing() {
        let c = |n: &str| Crs {
            name: Some(n.into()),
            ..Crs::default()
        };
        assert_eq!(c("EPSG:4547").epsg(), Some(4547));
        assert_eq!(c("EPSG 4547").epsg(), Some(4547));
        assert_eq!(c("4547").epsg(), Some(4547));
        assert_eq!(c("RD New").epsg(), None);
    }
}
