//! City coordinate systems 城市独立坐标系. Many cities keep planning data in a local
//! plane system that has no EPSG code; `site.toml` declares one as `[local_crs.<name>]`
//! and a layer (or, for a 7-parameter system, the site) names it `crs = "local:<name>"`.
//!
//! - A 4-parameter system is a plane similarity from local (x, y) to its `base` CRS:
//!   X = ΔX + k·(x·cosθ − y·sinθ), Y = ΔY + k·(x·sinθ + y·cosθ), θ in degrees,
//!   counter-clockwise (from the local x axis towards the local y axis), k a factor
//!   (1.0001, not 100 ppm). It is applied to a layer's coordinates as they are read;
//!   the layer is then in `base` and follows the usual path to the site CRS.
//! - A 7-parameter system (Helmert / Bursa-Wolf) is `base`'s definition with PROJ's
//!   `+towgs84=dx,dy,dz,rx,ry,rz,s`: the position-vector convention (EPSG method 9606),
//!   translations in metres, rotations in arc-seconds, scale in ppm, from the local
//!   datum to WGS 84. It is a CRS PROJ knows, so it transforms like any other.
//!
//! Declarations are checked when site.toml is read: every error names the field.

use crate::load::srs_from;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A layer's or the site's `crs` names a declared local system with this prefix.
pub const PREFIX: &str = "local:";

/// `[local_crs.<name>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalCrsToml {
    /// The named CRS the parameters lead to (`EPSG:4547`, WKT or a PROJ string).
    pub base: Option<String>,
    pub four_parameter: Option<FourParameterToml>,
    pub seven_parameter: Option<SevenParameterToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FourParameterToml {
    pub dx: f64,
    pub dy: f64,
    pub rotation_deg: f64,
    pub scale: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SevenParameterToml {
    pub dx: f64,
    pub dy: f64,
    pub dz: f64,
    pub rx_arcsec: f64,
    pub ry_arcsec: f64,
    pub rz_arcsec: f64,
    pub scale_ppm: f64,
}

/// A checked 4-parameter plane transform from local (x, y) to the base CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FourParameter {
    pub dx: f64,
    pub dy: f64,
    /// Counter-clockwise, degrees.
    pub rotation_deg: f64,
    /// A factor, > 0.
    pub scale: f64,
}

impl FourParameter {
    /// Local (x, y) in the base CRS.
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let (sin, cos) = self.rotation_deg.to_radians().sin_cos();
        let k = self.scale;
        (
            self.dx + k * (x * cos - y * sin),
            self.dy + k * (x * sin + y * cos),
        )
    }
}

/// How a local system leads to its base.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalKind {
    FourParameter(FourParameter),
    /// The PROJ string: base's definition with `+towgs84`.
    SevenParameter {
        proj: String,
        towgs84: [f64; 7],
    },
}

/// A declared local system, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCrs {
    pub name: String,
    pub base: String,
    pub kind: LocalKind,
}

impl LocalCrs {
    /// The CRS definition GDAL reads the layer's coordinates in once the plane
    /// transform (if any) is applied.
    pub fn definition(&self) -> &str {
        match &self.kind {
            LocalKind::FourParameter(_) => &self.base,
            LocalKind::SevenParameter { proj, .. } => proj,
        }
    }

    pub fn plane(&self) -> Option<FourParameter> {
        match self.kind {
            LocalKind::FourParameter(p) => Some(p),
            LocalKind::SevenParameter { .. } => None,
        }
    }

    /// What `site info` and the report name, e.g. "城市独立坐标系 city system local:city:
    /// 4-parameter from EPSG:4547 (ΔX=528000 m, ΔY=3386000 m, θ=1.5°, k=1.0001)".
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            LocalKind::FourParameter(p) => format!(
                "4-parameter from {} (ΔX={} m, ΔY={} m, θ={}°, k={})",
                self.base, p.dx, p.dy, p.rotation_deg, p.scale
            ),
            LocalKind::SevenParameter { towgs84: t, .. } => format!(
                "7-parameter (position vector, to WGS 84) on {} (ΔX={} m, ΔY={} m, ΔZ={} m, \
                 rx={}″, ry={}″, rz={}″, s={} ppm)",
                self.base, t[0], t[1], t[2], t[3], t[4], t[5], t[6]
            ),
        };
        format!("城市独立坐标系 city system {PREFIX}{}: {what}", self.name)
    }
}

/// Checks every `[local_crs.*]`; the error names the site.toml field.
pub fn resolve_all(
    decl: &BTreeMap<String, LocalCrsToml>,
) -> Result<BTreeMap<String, LocalCrs>, String> {
    decl.iter()
        .map(|(n, t)| resolve(n, t).map(|l| (n.clone(), l)))
        .collect()
}

fn finite(field: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{field} = {v} is not a finite number"))
    }
}

/// One declaration, checked: a base CRS GDAL knows (projected for a plane transform),
/// exactly one parameter set, finite numbers, a positive scale.
pub fn resolve(name: &str, t: &LocalCrsToml) -> Result<LocalCrs, String> {
    let at = format!("local_crs.{name}");
    let base = t.base.clone().ok_or_else(|| {
        format!(
            "{at}.base is missing: name the CRS the parameters lead to, e.g. base = \"EPSG:4547\""
        )
    })?;
    let srs = srs_from(&base).map_err(|e| format!("{at}.base = '{base}': {e}"))?;
    let kind = match (&t.four_parameter, &t.seven_parameter) {
        (Some(p), None) => {
            let f = |k: &str, v| finite(&format!("{at}.four_parameter.{k}"), v);
            let p = FourParameter {
                dx: f("dx", p.dx)?,
                dy: f("dy", p.dy)?,
                rotation_deg: f("rotation_deg", p.rotation_deg)?,
                scale: f("scale", p.scale)?,
            };
            if p.scale <= 0.0 {
                return Err(format!(
                    "{at}.four_parameter.scale = {} must be > 0 (a factor such as 1.0001, not ppm)",
                    p.scale
                ));
            }
            if !srs.is_projected() {
                return Err(format!(
                    "{at}.base = '{base}' is not a projected CRS: a 4-parameter transform is a plane one, in metres"
                ));
            }
            LocalKind::FourParameter(p)
        }
        (None, Some(p)) => {
            let f = |k: &str, v| finite(&format!("{at}.seven_parameter.{k}"), v);
            let towgs84 = [
                f("dx", p.dx)?,
                f("dy", p.dy)?,
                f("dz", p.dz)?,
                f("rx_arcsec", p.rx_arcsec)?,
                f("ry_arcsec", p.ry_arcsec)?,
                f("rz_arcsec", p.rz_arcsec)?,
                f("scale_ppm", p.scale_ppm)?,
            ];
            let proj = seven_parameter_proj(&srs, &towgs84)
                .map_err(|e| format!("{at}.base = '{base}': {e}"))?;
            LocalKind::SevenParameter { proj, towgs84 }
        }
        _ => {
            return Err(format!(
                "{at} needs exactly one of four_parameter and seven_parameter"
            ))
        }
    };
    Ok(LocalCrs {
        name: name.to_string(),
        base,
        kind,
    })
}

/// `base` as a PROJ string with its `+towgs84` replaced by the 7 parameters.
fn seven_parameter_proj(
    base: &gdal::spatial_ref::SpatialRef,
    t: &[f64; 7],
) -> Result<String, String> {
    let proj = base.to_proj4().map_err(|e| e.to_string())?;
    let kept: Vec<&str> = proj
        .split_whitespace()
        .filter(|p| {
            !p.starts_with("+towgs84=") && !p.starts_with("+datum=") && !p.starts_with("+nadgrids=")
        })
        .collect();
    let list: Vec<String> = t.iter().map(|v| v.to_string()).collect();
    let def = format!("{} +towgs84={}", kept.join(" "), list.join(","));
    srs_from(&def)?;
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four(dx: f64, dy: f64, rotation_deg: f64, scale: f64) -> FourParameter {
        FourParameter {
            dx,
            dy,
            rotation_deg,
            scale,
        }
    }

    #[test]
    fn the_plane_transform_rotates_counter_clockwise_then_scales_and_shifts() {
        // θ = 90°: local x axis → base y axis; (1, 0) → (ΔX, ΔY + k).
        let (x, y) = four(10.0, 20.0, 90.0, 2.0).apply(1.0, 0.0);
        assert!(
            (x - 10.0).abs() < 1e-12 && (y - 22.0).abs() < 1e-12,
            "{x} {y}"
        );
        // θ = 0, k = 1: a pure shift.
        assert_eq!(four(10.0, 20.0, 0.0, 1.0).apply(3.0, 4.0), (13.0, 24.0));
    }

    fn decl(text: &str) -> Result<BTreeMap<String, LocalCrs>, String> {
        #[derive(Deserialize)]
        struct T {
            local_crs: BTreeMap<String, LocalCrsToml>,
        }
        let t: T = toml::from_str(text).map_err(|e| e.to_string())?;
        resolve_all(&t.local_crs)
    }

    #[test]
    fn bad_declarations_name_the_field() {
        let cases = [
            ("[local_crs.c]\nfour_parameter = { dx = 1.0, dy = 2.0, rotation_deg = 0.0, scale = 1.0 }", "local_crs.c.base is missing"),
            ("[local_crs.c]\nbase = \"EPSG:999999\"\nfour_parameter = { dx = 1.0, dy = 2.0, rotation_deg = 0.0, scale = 1.0 }", "local_crs.c.base = 'EPSG:999999'"),
            ("[local_crs.c]\nbase = \"EPSG:4547\"\nfour_parameter = { dx = 1.0, dy = 2.0, rotation_deg = 0.0, scale = 0.0 }", "local_crs.c.four_parameter.scale = 0 must be > 0"),
            ("[local_crs.c]\nbase = \"EPSG:4547\"\nfour_parameter = { dx = nan, dy = 2.0, rotation_deg = 0.0, scale = 1.0 }", "local_crs.c.four_parameter.dx = NaN is not a finite number"),
            ("[local_crs.c]\nbase = \"EPSG:4547\"\nfour_parameter = { dx = 1.0, dy = 2.0, rotation_deg = inf, scale = 1.0 }", "local_crs.c.four_parameter.rotation_deg = inf is not a finite number"),
            ("[local_crs.c]\nbase = \"EPSG:4490\"\nfour_parameter = { dx = 1.0, dy = 2.0, rotation_deg = 0.0, scale = 1.0 }", "is not a projected CRS"),
            ("[local_crs.c]\nbase = \"EPSG:4547\"", "needs exactly one of four_parameter and seven_parameter"),
        ];
        for (text, want) in cases {
            let err = decl(text).expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn seven_parameters_become_towgs84_on_the_base() {
        let d = decl(
            "[local_crs.c]\nbase = \"EPSG:4547\"\nseven_parameter = { dx = 1.5, dy = -2.0, dz = 3.0, rx_arcsec = 0.1, ry_arcsec = 0.2, rz_arcsec = -0.3, scale_ppm = 4.0 }",
        )
        .unwrap();
        let c = &d["c"];
        let def = c.definition();
        assert!(
            def.contains("+proj=tmerc") && def.contains("+lon_0=114"),
            "{def}"
        );
        assert!(def.ends_with("+towgs84=1.5,-2,3,0.1,0.2,-0.3,4"), "{def}");
        assert!(
            c.describe().contains("7-parameter (position vector"),
            "{}",
            c.describe()
        );
    }
}
