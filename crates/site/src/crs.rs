//! Choosing the site CRS 场地坐标系 and judging layers that declare none. Planning
//! checks measure in metres, but departments deliver CGCS2000 geographic data
//! (EPSG:4490) every day and CAD drawings (DXF) carry no CRS at all; demanding a
//! hand-written `site.toml` for either stops a review. So a projected CRS is chosen,
//! in a fixed order, and the choice is recorded with its reason (`CrsChoice`); a layer
//! without a CRS takes the site CRS only when its coordinates are plausible there.

use crate::load::srs_from;
use gdal::spatial_ref::{CoordTransform, SpatialRef};
use serde::Serialize;
use zhishen_ifc::{Confidence, Model};

/// Where the site CRS came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrsSource {
    /// The caller named it (`--site-crs`).
    Cli,
    /// `crs` in `site.toml`.
    SiteToml,
    /// The reviewed model's projected CRS (IfcProjectedCRS / ePSet_ProjectedCRS).
    Model,
    /// The CRS of a projected layer of the package (parcel layers first).
    ProjectedLayer,
    /// The CGCS2000 3-degree Gauss-Krüger zone (EPSG:4534–4554, no zone prefix) whose
    /// central meridian is nearest the geographic data's centre.
    GaussKrugerZone,
}

impl CrsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CrsSource::Cli => "cli",
            CrsSource::SiteToml => "site_toml",
            CrsSource::Model => "model",
            CrsSource::ProjectedLayer => "projected_layer",
            CrsSource::GaussKrugerZone => "gauss_kruger_zone",
        }
    }
}

impl std::fmt::Display for CrsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the site CRS was chosen: the rule that decided and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrsChoice {
    pub source: CrsSource,
    /// E.g. "CGCS2000 3° Gauss-Krüger zone CM 114°E, nearest the data's centre at 114.301°E".
    pub reason: String,
}

/// A projected CRS the caller prefers when `site.toml` names none: the model's.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferredCrs {
    /// `EPSG:<code>`, WKT or a PROJ string (as `site.toml` takes it).
    pub crs: String,
    /// Why, e.g. "IfcMapConversion of model.ifc names EPSG:4547".
    pub reason: String,
}

/// The model's projected CRS when its map conversion is usable (not of low or no
/// confidence) and names an EPSG code of a projected CRS; else `None`.
pub fn model_crs(model: &Model) -> Option<PreferredCrs> {
    let mc = model.georef.map_conversion.as_ref()?;
    if mc.confidence <= Confidence::Low {
        return None;
    }
    let code = mc.crs.as_ref()?.epsg()?;
    let crs = format!("EPSG:{code}");
    let srs = srs_from(&crs).ok()?;
    srs.is_projected().then(|| PreferredCrs {
        reason: format!("{} of {} names {crs}", mc.source, model.file),
        crs,
    })
}

/// EPSG code of CGCS2000 / 3-degree Gauss-Krüger CM 75°E (zone 25, no prefix).
const GK_FIRST_EPSG: u32 = 4534;
/// Central meridians of EPSG:4534 … 4554: 75°E … 135°E in 3° steps.
const GK_FIRST_CM: f64 = 75.0;
const GK_ZONES: u32 = 21;

/// The CGCS2000 3° Gauss-Krüger zone (without zone prefix) whose central meridian is
/// nearest `lon`: `(epsg, central meridian °E)`. `None` outside the zones' reach
/// (73.5°E … 136.5°E), where no such zone fits.
pub fn gauss_kruger_zone(lon: f64) -> Option<(u32, u32)> {
    let reach = GK_FIRST_CM - 1.5..=GK_FIRST_CM + 3.0 * f64::from(GK_ZONES - 1) + 1.5;
    if !reach.contains(&lon) {
        return None;
    }
    let i = ((lon - GK_FIRST_CM) / 3.0)
        .round()
        .clamp(0.0, f64::from(GK_ZONES - 1)) as u32;
    Some((GK_FIRST_EPSG + i, 75 + 3 * i))
}

/// What coordinates of a layer without a CRS look like, when they do not fit the
/// site CRS. Each says what the user most likely has to declare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Misfit {
    /// |x| ≤ 180 and |y| ≤ 90: longitude and latitude.
    Degrees,
    /// Eastings of 25–45 million: a 3° zone number in front of a 6-digit easting.
    ZonePrefixed { zone: u32 },
    /// Eastings of 300–700 km but far from the other layers: another zone's data.
    OtherZone,
    /// Anything else outside the area of use or far from the other layers.
    Elsewhere,
}

/// How far a layer without a CRS may lie from the other layers' combined extent.
pub const NEAR_OTHERS_M: f64 = 50_000.0;

/// Classifies an implausible extent `[min x, min y, max x, max y]`.
pub fn misfit(e: [f64; 4]) -> Misfit {
    let (x0, y0, x1, y1) = (e[0], e[1], e[2], e[3]);
    if x0 >= -180.0 && x1 <= 180.0 && y0 >= -90.0 && y1 <= 90.0 {
        return Misfit::Degrees;
    }
    let zone = (x0 / 1_000_000.0).floor();
    if x0 >= 1_000_000.0 && zone == (x1 / 1_000_000.0).floor() && (25.0..=45.0).contains(&zone) {
        return Misfit::ZonePrefixed { zone: zone as u32 };
    }
    if x0 >= 300_000.0 && x1 <= 700_000.0 {
        return Misfit::OtherZone;
    }
    Misfit::Elsewhere
}

impl Misfit {
    /// The finding's message: what the coordinates look like and what to declare.
    pub fn describe(self, e: [f64; 4], site: &str, why: &str) -> String {
        let coords = format!("x {:.3}..{:.3}, y {:.3}..{:.3}", e[0], e[2], e[1], e[3]);
        let look = match self {
            Misfit::Degrees => "坐标像经纬度 the coordinates look like degrees (longitude, latitude); \
                 declare the layer's crs, e.g. EPSG:4490"
                .to_string(),
            Misfit::ZonePrefixed { zone } => format!(
                "东坐标带带号 the eastings look zone-prefixed (zone {zone} in front of the easting); \
                 declare the layer's crs, e.g. EPSG:{} (CGCS2000 3° zone {zone} with prefix)",
                4513 + zone - 25
            ),
            Misfit::OtherZone => "坐标像另一投影带 the coordinates look like another 3° Gauss-Krüger zone \
                 (eastings of 300–700 km far from the other layers); declare the layer's crs"
                .to_string(),
            Misfit::Elsewhere => "declare the layer's crs in site.toml".to_string(),
        };
        format!(
            "图层无坐标系且坐标与场地坐标系不符 the layer has no CRS and its coordinates ({coords}) \
             do not fit the site CRS {site}: {why}; {look}; 图层未读取 layer not read"
        )
    }
}

/// Why an extent in the site CRS is implausible there, or `None` when it fits: it must
/// lie inside the CRS's area of use and within [`NEAR_OTHERS_M`] of `others` (the
/// extent of the layers that declare a CRS, when there are any).
pub fn implausible(e: [f64; 4], site: &SpatialRef, others: Option<[f64; 4]>) -> Option<String> {
    if let Some(area) = site.area_of_use() {
        let inside = to_lon_lat(site, e).is_some_and(|g| {
            const EPS: f64 = 0.01;
            g[0] >= area.west_lon_degree - EPS
                && g[2] <= area.east_lon_degree + EPS
                && g[1] >= area.south_lat_degree - EPS
                && g[3] <= area.north_lat_degree + EPS
        });
        if !inside {
            return Some(format!(
                "outside its area of use ({}: {:.2}°E–{:.2}°E, {:.2}°N–{:.2}°N)",
                area.name,
                area.west_lon_degree,
                area.east_lon_degree,
                area.south_lat_degree,
                area.north_lat_degree
            ));
        }
    }
    let o = others?;
    let dx = (e[0] - o[2]).max(o[0] - e[2]).max(0.0);
    let dy = (e[1] - o[3]).max(o[1] - e[3]).max(0.0);
    let gap = dx.hypot(dy);
    (gap > NEAR_OTHERS_M).then(|| {
        format!(
            "{:.1} km from the other layers (at most {:.0} km)",
            gap / 1000.0,
            NEAR_OTHERS_M / 1000.0
        )
    })
}

/// How far outside a CRS's area of use data may still lie and count as its own: one
/// 3° zone, since a Gauss-Krüger CRS still serves its neighbour's edge.
const AREA_MARGIN_DEG: f64 = 3.0;

/// Why a model's CRS does not fit where the site data lies (`data`: longitude/latitude
/// extent), or `None` when it does: the data's centre must fall within its area of use
/// grown by [`AREA_MARGIN_DEG`]. A CRS without a known area fits.
pub fn far_from_data(srs: &SpatialRef, data: [f64; 4]) -> Option<String> {
    let area = srs.area_of_use()?;
    let (lon, lat) = ((data[0] + data[2]) / 2.0, (data[1] + data[3]) / 2.0);
    let m = AREA_MARGIN_DEG;
    let fits = lon >= area.west_lon_degree - m
        && lon <= area.east_lon_degree + m
        && lat >= area.south_lat_degree - m
        && lat <= area.north_lat_degree + m;
    (!fits).then(|| {
        format!(
            "the site data, centred at {lon:.3}°E {lat:.3}°N, lies outside its area of use \
             ({}: {:.2}°E–{:.2}°E, {:.2}°N–{:.2}°N)",
            area.name,
            area.west_lon_degree,
            area.east_lon_degree,
            area.south_lat_degree,
            area.north_lat_degree
        )
    })
}

/// An extent in a layer's own CRS as longitude/latitude: as it is for a geographic
/// CRS, transformed for a projected one.
pub fn lon_lat_extent(srs: &SpatialRef, e: [f64; 4]) -> Option<[f64; 4]> {
    if srs.is_geographic() {
        Some(e)
    } else {
        to_lon_lat(srs, e)
    }
}

/// The corners of a site-CRS extent in longitude/latitude (CGCS2000), `None` when PROJ
/// cannot transform them.
fn to_lon_lat(site: &SpatialRef, e: [f64; 4]) -> Option<[f64; 4]> {
    let geo = srs_from("EPSG:4490").ok()?;
    let t = CoordTransform::new(site, &geo).ok()?;
    let mut xs = [e[0], e[2], e[0], e[2]];
    let mut ys = [e[1], e[1], e[3], e[3]];
    let mut zs = [0.0; 4];
    t.transform_coords(&mut xs, &mut ys, &mut zs).ok()?;
    if xs.iter().chain(&ys).any(|v| !v.is_finite()) {
        return None;
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some([min(&xs), min(&ys), max(&xs), max(&ys)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_kruger_zone_is_the_nearest_central_meridian() {
        // 114.3°E: CM 114°E is 0.3° away, CM 117°E 2.7°: EPSG:4534 + (114 − 75) / 3 = 4547.
        assert_eq!(gauss_kruger_zone(114.3), Some((4547, 114)));
        assert_eq!(gauss_kruger_zone(75.0), Some((4534, 75)));
        assert_eq!(gauss_kruger_zone(73.6), Some((4534, 75)));
        assert_eq!(gauss_kruger_zone(135.0), Some((4554, 135)));
        assert_eq!(gauss_kruger_zone(136.4), Some((4554, 135)));
        // 121.4°E (Shanghai): CM 120°E is 1.4° away, CM 123°E 1.6°: 4534 + 15 = 4549.
        assert_eq!(gauss_kruger_zone(121.4), Some((4549, 120)));
        // Outside every zone's reach: none, never the nearest edge zone.
        assert_eq!(gauss_kruger_zone(13.4), None);
        assert_eq!(gauss_kruger_zone(137.0), None);
        assert_eq!(gauss_kruger_zone(f64::NAN), None);
    }

    #[test]
    fn the_zone_codes_are_the_ones_proj_knows() {
        for (code, cm) in [(4534, "75"), (4547, "114"), (4554, "135")] {
            let srs = srs_from(&format!("EPSG:{code}")).unwrap();
            let name = srs.name().unwrap();
            assert!(
                name.contains("3-degree Gauss-Kruger CM") && name.contains(&format!("CM {cm}E")),
                "{code}: {name}"
            );
        }
    }

    #[test]
    fn misfits_name_what_the_coordinates_look_like() {
        assert_eq!(misfit([114.30, 30.60, 114.31, 30.61]), Misfit::Degrees);
        assert_eq!(
            misfit([38_528_700.0, 3_386_600.0, 38_528_800.0, 3_386_680.0]),
            Misfit::ZonePrefixed { zone: 38 }
        );
        assert_eq!(
            misfit([428_700.0, 3_386_600.0, 428_800.0, 3_386_680.0]),
            Misfit::OtherZone
        );
        // 1.5 million: not a zone number (1 < 25), nor a 3° easting.
        assert_eq!(
            misfit([1_528_700.0, 3_386_600.0, 1_528_800.0, 3_386_680.0]),
            Misfit::Elsewhere
        );
        let e = [38_528_700.0, 3_386_600.0, 38_528_800.0, 3_386_680.0];
        let m = Misfit::ZonePrefixed { zone: 38 }.describe(e, "EPSG:4547", "far");
        assert!(
            m.contains("x 38528700.000..38528800.000, y 3386600.000..3386680.000"),
            "{m}"
        );
        assert!(
            m.contains("zone-prefixed") && m.contains("EPSG:4526"),
            "{m}"
        );
    }

    #[test]
    fn a_model_crs_far_from_the_data_does_not_fit() {
        let utm60s = srs_from("EPSG:32760").unwrap();
        let near_wuhan = [114.2, 30.5, 114.4, 30.7];
        let why = far_from_data(&utm60s, near_wuhan).expect("UTM 60S is not Wuhan's");
        assert!(why.contains("114.300°E 30.600°N"), "{why}");
        // The neighbouring zone (CM 117°E, area 115.5–118.5°E) still serves 114.3°E.
        assert_eq!(
            far_from_data(&srs_from("EPSG:4548").unwrap(), near_wuhan),
            None
        );
        // Past the margin: 111.5°E is more than 3° west of 115.5°E.
        assert!(
            far_from_data(&srs_from("EPSG:4548").unwrap(), [111.4, 30.0, 111.6, 30.1]).is_some()
        );
    }

    #[test]
    fn plausibility_needs_the_area_of_use_and_the_other_layers_nearby() {
        let site = srs_from("EPSG:4547").unwrap();
        let here = [528_700.0, 3_386_600.0, 528_800.0, 3_386_680.0];
        assert_eq!(implausible(here, &site, None), None);
        assert_eq!(implausible(here, &site, Some(here)), None);
        // 49.9 km east of the others: near; 50.1 km: far.
        let shift = |e: [f64; 4], dx: f64| [e[0] + dx, e[1], e[2] + dx, e[3]];
        assert_eq!(implausible(shift(here, 50_000.0), &site, Some(here)), None);
        let far = implausible(shift(here, 50_200.0), &site, Some(here)).unwrap();
        assert!(far.contains("50.1 km"), "{far}");
        // Degrees read as metres lie near the equator, 5° west of the zone.
        let deg = implausible([114.3, 30.6, 114.31, 30.61], &site, None).unwrap();
        assert!(deg.contains("area of use"), "{deg}");
    }
}
