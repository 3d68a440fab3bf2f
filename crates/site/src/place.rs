//! Placing a building model on the site: its footprint and heights in site coordinates.

use crate::load::{helmert_transform, srs_from, srs_label};
use crate::SiteError;
use gdal::spatial_ref::SpatialRef;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Serialize;
use zhishen_ifc::{Confidence, MapConversion, Model, Rings, SiteRef};

/// An explicit placement (`--place E,N,rotation_deg[,elevation]`): where the model's
/// origin lands in site coordinates and how its +X axis is turned from grid east.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placement {
    pub eastings: f64,
    pub northings: f64,
    pub rotation_deg: f64,
    /// Absolute elevation of the model's z = 0, when known.
    pub elevation: Option<f64>,
}

impl std::str::FromStr for Placement {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("'{x}' is not a number"))
            })
            .collect::<Result<_, _>>()?;
        if !(3..=4).contains(&v.len()) || v.iter().any(|x| !x.is_finite()) {
            return Err(format!("expected E,N,rotation_deg[,elevation], got '{s}'"));
        }
        Ok(Placement {
            eastings: v[0],
            northings: v[1],
            rotation_deg: v[2],
            elevation: v.get(3).copied(),
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlacementSource {
    /// The model's IfcMapConversion (or ePSet_MapConversion), transformed when its CRS differs.
    MapConversion {
        model_crs: String,
        transformed: bool,
    },
    /// IfcSite RefLatitude/RefLongitude: origin only, no rotation; low accuracy.
    SiteReference {
        lat: f64,
        lon: f64,
    },
    Explicit(Placement),
}

#[derive(Debug, Clone, Serialize)]
pub struct PlacedBuilding {
    pub source: PlacementSource,
    /// `high` for a map conversion or an explicit placement, `low` for a site reference point.
    pub accuracy: Confidence,
    pub footprint: MultiPolygon<f64>,
    pub footprint_below: MultiPolygon<f64>,
    /// 基底面积 outline (ground contact), for coverage.
    pub base: MultiPolygon<f64>,
    /// Above-ground parts with their own heights (podium, tower, steps), highest first.
    pub parts: Vec<PlacedPart>,
    /// Absolute elevation of the model's z = 0, when known.
    pub origin_elevation_m: Option<f64>,
    pub warnings: Vec<String>,
    /// Model (x, y) -> site (E, N) as an affine map `[a, b, c, d, e, f]`:
    /// E = a·x + b·y + c, N = d·x + e·y + f. Exact for explicit placements and map
    /// conversions in the site CRS; a local linearisation at the model origin when a CRS
    /// transform is involved (used to locate elements, not to measure).
    pub to_site: [f64; 6],
}

/// An above-ground part of the building in site coordinates (see `zhishen_ifc::Part`).
#[derive(Debug, Clone, Serialize)]
pub struct PlacedPart {
    /// GlobalId of the part's IfcBuilding.
    pub building: Option<String>,
    pub outline: MultiPolygon<f64>,
    pub height_m: Option<f64>,
}

/// Where and how a model was placed, before its outlines are mapped.
struct Mapping<'a> {
    source: PlacementSource,
    accuracy: Confidence,
    origin_elevation_m: Option<f64>,
    warnings: Vec<String>,
    f: &'a dyn Fn(f64, f64) -> (f64, f64),
}

impl Mapping<'_> {
    /// Maps every outline of `model` with `f` (the footprint may already be mapped).
    fn place(self, model: &Model, footprint: Option<MultiPolygon<f64>>) -> PlacedBuilding {
        let f = self.f;
        let facts = &model.facts;
        PlacedBuilding {
            source: self.source,
            accuracy: self.accuracy,
            footprint: footprint.unwrap_or_else(|| to_polys(&facts.footprint, f)),
            footprint_below: to_polys(&facts.footprint_below, f),
            base: to_polys(&facts.base, f),
            parts: facts
                .parts
                .iter()
                .map(|p| PlacedPart {
                    building: p.building.clone(),
                    outline: to_polys(&p.outline, f),
                    height_m: p.height_m,
                })
                .collect(),
            origin_elevation_m: self.origin_elevation_m,
            warnings: self.warnings,
            to_site: affine(f),
        }
    }
}

/// Fits the affine map of `f` at the model origin.
fn affine(f: &dyn Fn(f64, f64) -> (f64, f64)) -> [f64; 6] {
    let (c, f0) = f(0.0, 0.0);
    let (ax, dx) = f(1.0, 0.0);
    let (by, ey) = f(0.0, 1.0);
    [ax - c, by - c, c, dx - f0, ey - f0, f0]
}

impl PlacedBuilding {
    /// Site coordinates of a model point (see `to_site`).
    pub fn site_xy(&self, x: f64, y: f64) -> (f64, f64) {
        let t = &self.to_site;
        (t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5])
    }

    pub fn footprint_area_m2(&self) -> f64 {
        use geo::Area;
        self.footprint.unsigned_area()
    }

    /// 基底面积 in site coordinates.
    pub fn base_area_m2(&self) -> f64 {
        use geo::Area;
        self.base.unsigned_area()
    }
}

fn to_polys(rings: &Rings, f: &dyn Fn(f64, f64) -> (f64, f64)) -> MultiPolygon<f64> {
    MultiPolygon(
        rings
            .iter()
            .map(|poly| {
                let mut rs = poly.iter().map(|r| {
                    LineString(
                        r.iter()
                            .map(|p| {
                                let (x, y) = f(p[0], p[1]);
                                Coord { x, y }
                            })
                            .collect(),
                    )
                });
                let outer = rs.next().unwrap_or_else(|| LineString(vec![]));
                Polygon::new(outer, rs.collect())
            })
            .collect(),
    )
}

/// Places `model` on a site whose CRS is `site_crs` (e.g. `EPSG:4547`).
/// Never assumes model coordinates are site coordinates.
pub fn place(
    model: &Model,
    site_crs: &str,
    explicit: Option<Placement>,
) -> Result<PlacedBuilding, SiteError> {
    if let Some(p) = explicit {
        let (s, c) = p.rotation_deg.to_radians().sin_cos();
        let f = move |x: f64, y: f64| (p.eastings + c * x - s * y, p.northings + s * x + c * y);
        return Ok(Mapping {
            source: PlacementSource::Explicit(p),
            accuracy: Confidence::High,
            origin_elevation_m: p.elevation,
            warnings: Vec::new(),
            f: &f,
        }
        .place(model, None));
    }
    let site = srs_from(site_crs)
        .map_err(|m| SiteError::Placement(format!("site CRS {site_crs}: {m}")))?;
    if let Some(mc) = &model.georef.map_conversion {
        return by_map_conversion(model, mc, &site, site_crs);
    }
    if let Some(s) = &model.georef.site_ref {
        if s.default_of.is_none() && s.confidence != Confidence::None {
            return by_site_reference(model, s, &site);
        }
    }
    Err(SiteError::NoPlacement {
        model: model.file.clone(),
        why: match &model.georef.site_ref {
            Some(s) if s.default_of.is_some() => format!(
                "it has no map conversion and its IfcSite location is the {}",
                s.default_of.clone().unwrap_or_default()
            ),
            _ => "it has no map conversion and no usable IfcSite location".into(),
        },
    })
}

/// Placement by the model's map conversion, transformed when its CRS is not the site's.
fn by_map_conversion(
    model: &Model,
    mc: &MapConversion,
    site: &SpatialRef,
    site_crs: &str,
) -> Result<PlacedBuilding, SiteError> {
    let mut warnings = Vec::new();
    if mc.confidence == Confidence::Low {
        return Err(SiteError::Placement(format!(
            "{} of {} is implausible ({}); give --place E,N,rotation",
            mc.source,
            model.file,
            model.georef.warnings.join("; ")
        )));
    }
    let Some(code) = mc.crs.as_ref().and_then(|c| c.epsg()) else {
        return Err(SiteError::Placement(format!(
            "{} of {} names no EPSG target CRS; give --place E,N,rotation",
            mc.source, model.file
        )));
    };
    let model_crs = format!("EPSG:{code}");
    let src =
        srs_from(&model_crs).map_err(|m| SiteError::Placement(format!("{model_crs}: {m}")))?;
    let same = srs_label(&src) == srs_label(site);
    let ct = if same {
        None
    } else {
        Some(helmert_transform(&src, site).map_err(|e| SiteError::Placement(e.to_string()))?)
    };
    let height = mc.orthogonal_height_m;
    let mc = mc.clone();
    let f = move |x: f64, y: f64| {
        let p = mc.to_map([x, y, 0.0]);
        match &ct {
            None => (p[0], p[1]),
            Some(t) => {
                let (mut xs, mut ys, mut zs) = ([p[0]], [p[1]], [0.0]);
                match t.transform_coords(&mut xs, &mut ys, &mut zs) {
                    Ok(()) => (xs[0], ys[0]),
                    Err(_) => (f64::NAN, f64::NAN),
                }
            }
        }
    };
    let footprint = to_polys(&model.facts.footprint, &f);
    if footprint
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter())
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err(SiteError::Placement(format!(
            "the footprint could not be transformed from {model_crs} to {site_crs}"
        )));
    }
    if !same {
        warnings.push(format!("transformed from {model_crs} to {site_crs}"));
    }
    Ok(Mapping {
        source: PlacementSource::MapConversion {
            model_crs,
            transformed: !same,
        },
        accuracy: Confidence::High,
        origin_elevation_m: Some(height),
        warnings,
        f: &f,
    }
    .place(model, Some(footprint)))
}

/// Placement at the IfcSite reference point: origin only, rotation 0, low accuracy.
fn by_site_reference(
    model: &Model,
    s: &SiteRef,
    site: &SpatialRef,
) -> Result<PlacedBuilding, SiteError> {
    let mut warnings = Vec::new();
    let wgs = srs_from("EPSG:4326").map_err(SiteError::Placement)?;
    let ct = helmert_transform(&wgs, site).map_err(|e| SiteError::Placement(e.to_string()))?;
    let (mut xs, mut ys, mut zs) = ([s.lon], [s.lat], [0.0]);
    ct.transform_coords(&mut xs, &mut ys, &mut zs)
        .map_err(|e| SiteError::Placement(e.to_string()))?;
    let (e0, n0) = (xs[0], ys[0]);
    warnings.push(
        "placed from IfcSite RefLatitude/RefLongitude: origin only, rotation assumed 0, accuracy low".into(),
    );
    let f = move |x: f64, y: f64| (e0 + x, n0 + y);
    Ok(Mapping {
        source: PlacementSource::SiteReference {
            lat: s.lat,
            lon: s.lon,
        },
        accuracy: Confidence::Low,
        origin_elevation_m: s.elevation_m,
        warnings,
        f: &f,
    }
    .place(model, None))
}
