//! Reading a site package through GDAL: formats, encodings, fields, CRS.

use crate::fields::{self, canonical, FieldType, Kind};
use crate::model::{Feature, Finding, LayerInfo, LayerPlace, SiteModel};
use crate::SiteError;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Area, BoundingRect, LineString, MakeValid, MultiPolygon, Polygon, Validation};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `site.toml`: the site CRS and, per source layer, its kind and field mapping.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteToml {
    pub crs: Option<String>,
    #[serde(default)]
    pub layer: Vec<LayerToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerToml {
    /// File (or FileGDB directory) relative to the package.
    pub path: String,
    pub kind: String,
    /// Layer name inside a multi-layer source (GeoPackage, FileGDB); default: all layers.
    pub layer: Option<String>,
    /// Source attribute name -> canonical name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Overrides the file's CRS (e.g. a Shapefile without .prj).
    pub crs: Option<String>,
}

const EXTENSIONS: &[&str] = &["gpkg", "shp", "geojson", "json", "fgb", "dxf", "gdb"];

struct Source {
    path: PathBuf,
    kind: Kind,
    layer: Option<String>,
    fields: BTreeMap<String, String>,
    crs: Option<String>,
}

/// Parses `EPSG:4547` / `4547` into a SpatialRef in traditional GIS axis order.
pub fn srs_from(def: &str) -> Result<SpatialRef, String> {
    let d = def.trim();
    let mut srs = match d.strip_prefix("EPSG:").or_else(|| d.strip_prefix("epsg:")) {
        Some(code) => code
            .parse::<u32>()
            .map_err(|_| format!("'{def}' is not an EPSG code"))
            .and_then(|c| SpatialRef::from_epsg(c).map_err(|e| e.to_string())),
        None => match d.parse::<u32>() {
            Ok(c) => SpatialRef::from_epsg(c).map_err(|e| e.to_string()),
            Err(_) => SpatialRef::from_definition(d).map_err(|e| e.to_string()),
        },
    }?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

pub fn srs_label(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code()) {
        (Some(n), Ok(c)) => format!("{n}:{c}"),
        _ => srs.name().unwrap_or_else(|| "unknown".into()),
    }
}

/// A Shapefile's DBF text is UTF-8 when it decodes as such; otherwise CP936 (GBK) is assumed.
fn shapefile_encoding(shp: &Path) -> (String, &'static str) {
    let cpg = shp.with_extension("cpg");
    if let Ok(s) = std::fs::read_to_string(&cpg) {
        let s = s.trim().to_string();
        if !s.is_empty() {
            return (s, ".cpg");
        }
    }
    let dbf = shp.with_extension("dbf");
    match std::fs::read(&dbf) {
        Ok(b) if b.len() > 32 => {
            let header = u16::from_le_bytes([b[8], b[9]]) as usize;
            let body = &b[header.min(b.len())..];
            if body.is_ascii() || std::str::from_utf8(body).is_ok() {
                ("UTF-8".into(), "detected (valid UTF-8)")
            } else {
                ("CP936".into(), "fallback (no .cpg and not UTF-8)")
            }
        }
        _ => ("UTF-8".into(), "default"),
    }
}

fn discover(dir: &Path, findings: &mut Vec<Finding>) -> Result<Vec<Source>, SiteError> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| SiteError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !EXTENSIONS.contains(&ext.as_str()) {
            continue;
        }
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        match Kind::parse(stem) {
            Some(kind) => out.push(Source {
                path: p.clone(),
                kind,
                layer: None,
                fields: BTreeMap::new(),
                crs: None,
            }),
            None => findings.push(Finding::warn(
                "unknown_layer_kind",
                &p,
                None,
                None,
                None,
                format!("'{stem}' is not a layer kind (parcel, road_red_line, ...); file ignored. Name it <kind>.{ext} or list it in site.toml"),
            )),
        }
    }
    Ok(out)
}

/// Loads a site package directory (or a single GeoPackage holding kind-named layers).
pub fn load(dir: &Path) -> Result<SiteModel, SiteError> {
    let mut findings = Vec::new();
    let toml_path = dir.join("site.toml");
    let (config, sources) = if dir.is_file() {
        // One GeoPackage: each layer named after its kind.
        let ds = Dataset::open(dir).map_err(|e| SiteError::Open {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let mut s = Vec::new();
        for l in ds.layers() {
            match Kind::parse(&l.name()) {
                Some(kind) => s.push(Source {
                    path: dir.to_path_buf(),
                    kind,
                    layer: Some(l.name()),
                    fields: BTreeMap::new(),
                    crs: None,
                }),
                None => findings.push(Finding::warn(
                    "unknown_layer_kind",
                    dir,
                    Some(&l.name()),
                    None,
                    None,
                    "layer name is not a layer kind; ignored".into(),
                )),
            }
        }
        (SiteToml::default(), s)
    } else if toml_path.exists() {
        let text = std::fs::read_to_string(&toml_path).map_err(|e| SiteError::Io {
            path: toml_path.display().to_string(),
            source: e,
        })?;
        let cfg: SiteToml = toml::from_str(&text).map_err(|e| SiteError::Config {
            path: toml_path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut s = Vec::new();
        for l in &cfg.layer {
            let kind = Kind::parse(&l.kind).ok_or_else(|| SiteError::Config {
                path: toml_path.display().to_string(),
                message: format!("layer '{}': unknown kind '{}'", l.path, l.kind),
            })?;
            for canon in l.fields.values() {
                if fields::field_type(canon).is_none() {
                    return Err(SiteError::Config {
                        path: toml_path.display().to_string(),
                        message: format!("layer '{}': '{canon}' is not a canonical field", l.path),
                    });
                }
            }
            s.push(Source {
                path: dir.join(&l.path),
                kind,
                layer: l.layer.clone(),
                fields: l.fields.clone(),
                crs: l.crs.clone(),
            });
        }
        (cfg, s)
    } else {
        let s = discover(dir, &mut findings)?;
        (SiteToml::default(), s)
    };
    if sources.is_empty() {
        return Err(SiteError::Empty {
            path: dir.display().to_string(),
        });
    }

    // Site CRS: site.toml, else the parcel layer's, else the first layer's.
    let site_srs = match &config.crs {
        Some(c) => srs_from(c).map_err(|m| SiteError::Config {
            path: toml_path.display().to_string(),
            message: format!("crs '{c}': {m}"),
        })?,
        None => {
            let mut order: Vec<&Source> =
                sources.iter().filter(|s| s.kind == Kind::Parcel).collect();
            order.extend(sources.iter().filter(|s| s.kind != Kind::Parcel));
            order
                .into_iter()
                .find_map(|s| source_srs(s).ok().flatten())
                .ok_or_else(|| SiteError::UnknownCrs {
                    path: dir.display().to_string(),
                })?
        }
    };
    if site_srs.is_geographic() {
        return Err(SiteError::GeographicSiteCrs {
            crs: srs_label(&site_srs),
        });
    }

    let mut features = Vec::new();
    let mut layers = Vec::new();
    for s in &sources {
        read_source(s, &site_srs, &mut features, &mut layers, &mut findings);
    }
    check_duplicates(&features, &mut findings);
    Ok(SiteModel::new(
        srs_label(&site_srs),
        features,
        layers,
        findings,
    ))
}

fn open(s: &Source, encoding: Option<&str>) -> Result<Dataset, String> {
    let opt = encoding.map(|e| format!("ENCODING={e}"));
    let opts: Vec<&str> = opt.iter().map(String::as_str).collect();
    Dataset::open_ex(
        &s.path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: (!opts.is_empty()).then_some(&opts[..]),
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn source_srs(s: &Source) -> Result<Option<SpatialRef>, String> {
    if let Some(c) = &s.crs {
        return srs_from(c).map(Some);
    }
    let ds = open(s, None)?;
    let srs = ds.layers().find_map(|l| l.spatial_ref());
    Ok(srs.map(|mut r| {
        r.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        r
    }))
}

fn read_source(
    s: &Source,
    site: &SpatialRef,
    features: &mut Vec<Feature>,
    layers: &mut Vec<LayerInfo>,
    findings: &mut Vec<Finding>,
) {
    let ext = s
        .path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let (encoding, encoding_how) = if ext == "shp" {
        let (e, how) = shapefile_encoding(&s.path);
        (Some(e), Some(how))
    } else {
        (None, None)
    };
    let ds = match open(s, encoding.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            findings.push(Finding::error("open_failed", &s.path, None, None, None, e));
            return;
        }
    };
    for mut layer in ds.layers() {
        let lname = layer.name();
        if s.layer.as_deref().is_some_and(|want| want != lname) {
            continue;
        }
        let here = LayerPlace {
            file: &s.path,
            layer: &lname,
        };
        let mut src_srs = match &s.crs {
            Some(c) => srs_from(c).ok(),
            None => layer.spatial_ref(),
        };
        let Some(src) = src_srs.as_mut() else {
            findings.push(here.error(
                "unknown_crs",
                None,
                None,
                "the layer has no CRS (no .prj / SRS); set `crs` for it in site.toml".into(),
            ));
            continue;
        };
        src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let transform = match CoordTransform::new(src, site) {
            Ok(t) => t,
            Err(e) => {
                findings.push(here.error(
                    "crs_transform",
                    None,
                    None,
                    format!(
                        "no transformation from {} to {}: {e}",
                        srs_label(src),
                        srs_label(site)
                    ),
                ));
                continue;
            }
        };
        // Identical CRSs need no per-feature transform.
        let same_crs = src.to_wkt().ok() == site.to_wkt().ok();
        let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
        // Source field index -> canonical name.
        let mapping: Vec<Option<(&'static str, FieldType)>> = field_names
            .iter()
            .map(|n| {
                s.fields
                    .get(n)
                    .and_then(|c| fields::FIELDS.iter().find(|f| f.0 == c).map(|f| (f.0, f.1)))
                    .or_else(|| canonical(n))
            })
            .collect();
        let axis_swapped = detect_swapped_axes(&mut layer, src);
        if let Some(why) = &axis_swapped {
            findings.push(here.warn(
                "axis_order_swapped",
                None,
                None,
                format!("coordinates are {why}; x and y were swapped before transforming"),
            ));
        }
        let before = features.len();
        for f in layer.features() {
            let fid = f.fid();
            let mut attrs: BTreeMap<String, Value> = BTreeMap::new();
            let mut extra: BTreeMap<String, Value> = BTreeMap::new();
            for (i, name) in field_names.iter().enumerate() {
                let v = match f.field(i) {
                    Ok(Some(v)) => v,
                    _ => continue,
                };
                match mapping[i] {
                    Some((canon, ty)) => match convert(canon, ty, &v) {
                        Ok(Some(val)) => {
                            attrs.insert(canon.to_string(), val);
                        }
                        Ok(None) => {}
                        Err(msg) => findings.push(here.warn("bad_attribute", fid, Some(name), msg)),
                    },
                    None => {
                        extra.insert(name.clone(), raw_value(&v));
                    }
                }
            }
            let label = attrs.get("id").and_then(Value::as_str).map(str::to_owned);
            let Some(g) = f.geometry() else {
                findings.push(here.error(
                    "no_geometry",
                    fid,
                    None,
                    "feature has no geometry; skipped".into(),
                ));
                continue;
            };
            // Copy the OGR geometry only when it has to change (3-D, swapped or another CRS).
            let has_z = gdal::vector::geometry_type_has_z(g.geometry_type());
            let owned;
            let g: &gdal::vector::Geometry = if has_z || axis_swapped.is_some() || !same_crs {
                let mut c = g.clone();
                c.flatten_to_2d();
                if axis_swapped.is_some() {
                    swap_xy(&mut c);
                }
                owned = if same_crs {
                    Ok(c)
                } else {
                    c.transform(&transform)
                };
                match &owned {
                    Ok(t) => t,
                    Err(e) => {
                        findings.push(here.error("transform_failed", fid, None, e.to_string()));
                        continue;
                    }
                }
            } else {
                g
            };
            let geom: geo::Geometry<f64> = match geo::Geometry::try_from(g) {
                Ok(x) => x,
                Err(e) => {
                    findings.push(here.error("geometry_unsupported", fid, None, e.to_string()));
                    continue;
                }
            };
            let geom = if s.kind.is_areal() {
                match areal(geom) {
                    Some(mp) => geo::Geometry::MultiPolygon(mp),
                    None => {
                        findings.push(here.error(
                            "not_an_area",
                            fid,
                            None,
                            format!("a {} must be a polygon or a closed line", s.kind.as_str()),
                        ));
                        continue;
                    }
                }
            } else {
                geom
            };
            let geom = match repair(geom) {
                Repair::Valid(g) => g,
                Repair::Repaired(g, msg) => {
                    findings.push(here.warn("invalid_geometry_repaired", fid, None, msg));
                    g
                }
                Repair::Rejected(msg) => {
                    findings.push(here.error("invalid_geometry", fid, None, msg));
                    continue;
                }
            };
            for req in s.kind.required() {
                if !attrs.contains_key(*req) {
                    findings.push(here.error(
                        "missing_attribute",
                        fid,
                        Some(req),
                        format!(
                            "{} {} has no '{req}' (map a source field to it in site.toml)",
                            s.kind.as_str(),
                            label
                                .clone()
                                .unwrap_or_else(|| format!("fid {}", fid.unwrap_or(0)))
                        ),
                    ));
                }
            }
            features.push(Feature {
                kind: s.kind,
                bbox: geom
                    .bounding_rect()
                    .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
                geometry: geom,
                attrs,
                extra,
                file: s.path.display().to_string(),
                layer: lname.clone(),
                fid,
            });
        }
        let count = features.len() - before;
        if count == 0 {
            findings.push(here.warn("empty_layer", None, None, "layer has no features".into()));
        }
        let extent = features[before..]
            .iter()
            .filter_map(|f| f.bbox)
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            });
        layers.push(LayerInfo {
            file: s.path.display().to_string(),
            layer: lname,
            kind: s.kind,
            features: count,
            source_crs: srs_label(src),
            encoding: encoding
                .clone()
                .map(|e| format!("{e} ({})", encoding_how.unwrap_or(""))),
            extent,
        });
    }
}

fn raw_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::StringValue(s) => Value::String(s.clone()),
        FieldValue::IntegerValue(i) => Value::from(*i),
        FieldValue::Integer64Value(i) => Value::from(*i),
        FieldValue::RealValue(r) => serde_json::json!(r),
        other => Value::String(format!("{other:?}")),
    }
}

fn convert(canon: &str, ty: FieldType, v: &FieldValue) -> Result<Option<Value>, String> {
    let num = || -> Option<f64> {
        match v {
            FieldValue::IntegerValue(i) => Some(f64::from(*i)),
            FieldValue::Integer64Value(i) => Some(*i as f64),
            FieldValue::RealValue(r) => Some(*r),
            FieldValue::StringValue(s) => fields::parse_number(s),
            _ => None,
        }
    };
    let text = match v {
        FieldValue::StringValue(s) => s.trim().to_string(),
        other => match raw_value(other) {
            Value::String(s) => s,
            x => x.to_string(),
        },
    };
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(match ty {
        FieldType::Text => Value::String(match v {
            // Integer codes (e.g. parcel ids) keep no decimal point.
            FieldValue::RealValue(r) if r.fract() == 0.0 => format!("{}", *r as i64),
            _ => text,
        }),
        FieldType::Number => match num() {
            Some(n) => serde_json::json!(n),
            None => return Err(format!("'{canon}' value {text:?} is not a number")),
        },
        FieldType::Ratio => match num() {
            Some(n) if n > 1.0 => serde_json::json!(n / 100.0),
            Some(n) => serde_json::json!(n),
            None => {
                return Err(format!(
                    "'{canon}' value {text:?} is not a ratio or percent"
                ))
            }
        },
        FieldType::Bool => Value::Bool(matches!(
            text.to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "y" | "t" | "是" | "绝对"
        )),
    }))
}

/// Polygons as they are; closed line strings (DXF polylines) become polygons.
fn areal(g: geo::Geometry<f64>) -> Option<MultiPolygon<f64>> {
    use geo::Geometry as G;
    let closed = |l: &LineString<f64>| l.0.len() >= 4 && l.is_closed();
    match g {
        G::Polygon(p) => Some(MultiPolygon(vec![p])),
        G::MultiPolygon(m) => Some(m),
        G::LineString(l) if closed(&l) => Some(MultiPolygon(vec![Polygon::new(l, vec![])])),
        G::MultiLineString(ml) if ml.0.iter().all(closed) && !ml.0.is_empty() => Some(
            MultiPolygon(ml.0.into_iter().map(|l| Polygon::new(l, vec![])).collect()),
        ),
        G::GeometryCollection(gc) => {
            let mut polys = Vec::new();
            for x in gc.0 {
                polys.extend(areal(x)?.0);
            }
            (!polys.is_empty()).then_some(MultiPolygon(polys))
        }
        _ => None,
    }
}

/// Invalid polygons are repaired with geo's MakeValid; the caller reports the repair,
/// or rejects the feature when it cannot be repaired.
enum Repair {
    Valid(geo::Geometry<f64>),
    Repaired(geo::Geometry<f64>, String),
    Rejected(String),
}

fn repair(g: geo::Geometry<f64>) -> Repair {
    let geo::Geometry::MultiPolygon(mp) = &g else {
        return Repair::Valid(g);
    };
    if mp.is_valid() {
        return Repair::Valid(g);
    }
    let why = mp
        .validation_errors()
        .first()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "invalid".into());
    let before = mp.unsigned_area();
    match mp.make_valid() {
        Ok(fixed) => {
            let after = fixed.unsigned_area();
            Repair::Repaired(
                geo::Geometry::MultiPolygon(fixed),
                format!("invalid polygon ({why}); repaired with MakeValid, area {before:.2} -> {after:.2} m²"),
            )
        }
        Err(e) => Repair::Rejected(format!(
            "invalid polygon ({why}) that MakeValid cannot repair: {e}; feature rejected"
        )),
    }
}

fn swap_xy(g: &mut gdal::vector::Geometry) {
    let n = g.geometry_count();
    if n > 0 {
        for i in 0..n {
            // Sub-geometries are borrowed views into `g`; DerefMut reaches the geometry.
            swap_xy(&mut g.get_geometry(i));
        }
        return;
    }
    let mut pts = Vec::new();
    g.get_points(&mut pts);
    for (i, p) in pts.iter().enumerate() {
        g.set_point_2d(i, (p.1, p.0));
    }
}

/// Latitude-first or northing-first data in a CRS that declares the other order.
fn detect_swapped_axes(layer: &mut gdal::vector::Layer<'_>, srs: &SpatialRef) -> Option<String> {
    let e = layer.get_extent().ok()?;
    if srs.is_geographic() {
        // China: longitude 73..136 E, latitude 3..54 N.
        let lon_like = |a: f64, b: f64| a >= 73.0 && b <= 136.0;
        let lat_like = |a: f64, b: f64| a >= -1.0 && b <= 55.0;
        if lat_like(e.MinX, e.MaxX) && lon_like(e.MinY, e.MaxY) {
            return Some(format!(
                "latitude-first (x {:.4}..{:.4} look like latitudes, y {:.4}..{:.4} like longitudes)",
                e.MinX, e.MaxX, e.MinY, e.MaxY
            ));
        }
    } else if srs.is_projected() {
        // Gauss-Kruger / UTM: eastings below 1,000 km (or zone-prefixed), northings 0..10,000 km.
        let easting_like = |v: f64| (0.0..1_000_000.0).contains(&v) || (13e6..46e6).contains(&v);
        if e.MinX > 1_000_000.0
            && e.MaxX < 10_000_000.0
            && easting_like(e.MinY)
            && e.MaxY < 1_000_000.0
        {
            return Some(format!(
                "northing-first (x {:.0}..{:.0} look like northings, y {:.0}..{:.0} like eastings)",
                e.MinX, e.MaxX, e.MinY, e.MaxY
            ));
        }
    }
    None
}

fn check_duplicates(features: &[Feature], findings: &mut Vec<Finding>) {
    let mut seen: std::collections::HashMap<&str, &Feature> =
        std::collections::HashMap::with_capacity(features.len());
    for f in features.iter().filter(|f| f.kind == Kind::Parcel) {
        let Some(id) = f.id() else { continue };
        if let Some(first) = seen.get(id) {
            findings.push(Finding::error(
                "duplicate_parcel_id",
                Path::new(&f.file),
                Some(&f.layer),
                f.fid,
                Some("id"),
                format!(
                    "parcel id '{id}' is used twice (also {} fid {})",
                    first.file,
                    first.fid.unwrap_or(0)
                ),
            ));
        } else {
            seen.insert(id, f);
        }
    }
}
