//! Reading a site package through GDAL: formats, encodings, fields, CRS. Nothing is
//! dropped silently: what GDAL returns is compared with what each file declares, GDAL's
//! own messages become findings (`cpl`), values outside their range are refused
//! (`ranges`), paths stay inside the package and sizes within [`Limits`] (`package`).

use crate::cpl::{self, Capture};
use crate::crs::{self, CrsChoice, CrsSource};
use crate::fields::{self, canonical, FieldType, Kind};
use crate::local_crs::{self, FourParameter, LocalCrs, LocalCrsToml};
use crate::model::{Feature, Finding, LayerInfo, LayerPlace, Severity, SiteModel};
use crate::options::{Limit, Limits, LoadOptions};
use crate::package::{self, Declared};
use crate::repair::{repair, Repair};
use crate::widths;
use crate::{ranges, SiteError};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess, OGRwkbGeometryType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{BoundingRect, CoordsIter, LineString, MultiPolygon, Polygon};
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
    /// City coordinate systems 城市独立坐标系, named by `crs = "local:<name>"`.
    #[serde(default)]
    pub local_crs: BTreeMap<String, LocalCrsToml>,
    /// The declared system `crs` names, when it is a local one (set on reading).
    #[serde(skip)]
    pub crs_described: Option<String>,
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
    /// Road red lines only: the width (m) of every road in the layer that has no width
    /// attribute (`widths`).
    pub width_m: Option<f64>,
}

const EXTENSIONS: &[&str] = &["gpkg", "shp", "geojson", "json", "fgb", "dxf", "gdb"];

pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    layer: Option<String>,
    fields: BTreeMap<String, String>,
    crs: Option<String>,
    /// `site.toml`'s `width_m` for a road layer.
    width_m: Option<f64>,
    /// A 4-parameter city system's plane transform, applied before `crs`.
    pub(crate) plane: Option<FourParameter>,
    /// The declared city system, named in `site info` instead of `crs`.
    crs_described: Option<String>,
}

/// WKT keywords a CRS definition may start with (WKT1 and WKT2).
const WKT_STARTS: &[&str] = &[
    "PROJCS[",
    "GEOGCS[",
    "GEOCCS[",
    "COMPD_CS[",
    "LOCAL_CS[",
    "PROJCRS[",
    "GEOGCRS[",
    "GEODCRS[",
    "GEOGRAPHICCRS[",
    "PROJECTEDCRS[",
    "COMPOUNDCRS[",
    "BOUNDCRS[",
    "ENGCRS[",
    "VERTCRS[",
];

/// Parses `EPSG:4547` / `4547`, WKT or a PROJ string into a SpatialRef in traditional GIS
/// axis order. Nothing else: GDAL's catch-all parser also takes file names and URLs
/// (`/vsistdin/`, `/vsicurl/…`, any path), which would let a site.toml read outside its
/// package or hang on standard input.
pub fn srs_from(def: &str) -> Result<SpatialRef, String> {
    let d = def.trim();
    let upper = d.to_ascii_uppercase();
    let code = ["EPSG:", "epsg:", "urn:ogc:def:crs:EPSG::"]
        .iter()
        .find_map(|p| d.strip_prefix(p));
    let mut srs = if let Some(code) = code {
        code.parse::<u32>()
            .map_err(|_| format!("'{def}' is not an EPSG code"))
            .and_then(|c| SpatialRef::from_epsg(c).map_err(|e| e.to_string()))
    } else if let Ok(c) = d.parse::<u32>() {
        SpatialRef::from_epsg(c).map_err(|e| e.to_string())
    } else if WKT_STARTS.iter().any(|k| upper.starts_with(k)) {
        SpatialRef::from_wkt(d).map_err(|e| e.to_string())
    } else if d.starts_with("+proj=") {
        SpatialRef::from_proj4(d).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "'{def}' is not a CRS: give EPSG:<code>, WKT or a PROJ string (+proj=…)"
        ))
    }?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// `EPSG:<code>`, else the CRS's name, else (a PROJ string names none) its PROJ string.
pub fn srs_label(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code()) {
        (Some(n), Ok(c)) => format!("{n}:{c}"),
        _ => srs
            .name()
            .filter(|n| n != "unknown")
            .or_else(|| srs.to_proj4().ok().map(|p| p.trim().to_string()))
            .unwrap_or_else(|| "unknown".into()),
    }
}

fn discover(
    dir: &Path,
    opts: &LoadOptions,
    findings: &mut Vec<Finding>,
) -> Result<Vec<Source>, SiteError> {
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
        // A symlink in the package may point anywhere.
        if let Err(why) = package::check_inside(dir, &p) {
            if !opts.allow_outside_paths {
                findings.push(Finding::error(
                    "path_outside_package",
                    &p,
                    None,
                    None,
                    None,
                    format!("{why}; 图层未读取 layer not read"),
                ));
                continue;
            }
        }
        match Kind::parse(stem) {
            Some(kind) => out.push(Source {
                path: p.clone(),
                kind,
                layer: None,
                fields: BTreeMap::new(),
                crs: None,
                width_m: None,
                plane: None,
                crs_described: None,
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

/// Loads a site package directory (or a single GeoPackage holding kind-named layers)
/// with the default [`LoadOptions`]: default limits, paths inside the package only.
pub fn load(dir: &Path) -> Result<SiteModel, SiteError> {
    load_with(dir, &LoadOptions::default())
}

/// Loads a site package. Every problem that is not fatal to the whole package is a
/// finding; findings for which [`Finding::blocks_review`] holds mean some data was not
/// read, and a review must not proceed with what remains.
pub fn load_with(dir: &Path, opts: &LoadOptions) -> Result<SiteModel, SiteError> {
    let capture = cpl::Capture::start();
    let mut findings = Vec::new();
    let toml_path = dir.join("site.toml");
    let (config, sources) = if dir.is_file() {
        (SiteToml::default(), gpkg_sources(dir, &mut findings)?)
    } else if toml_path.exists() {
        toml_sources(dir, &toml_path, opts, &mut findings)?
    } else {
        (SiteToml::default(), discover(dir, opts, &mut findings)?)
    };
    let refused = findings.iter().any(|f| f.severity == Severity::Error);
    if sources.is_empty() && !refused {
        return Err(SiteError::Empty {
            path: dir.display().to_string(),
        });
    }
    check_total_bytes(dir, &sources, &opts.limits)?;
    let opened = open_all(sources, &capture, &mut findings);
    let (site_srs, choice) = match site_crs(&config, &toml_path, dir, &opened, opts) {
        Ok(s) => s,
        Err(e @ SiteError::UnknownCrs { .. }) => {
            // Files that could not be read, or a .prj that does not parse, are why: name them.
            for o in &opened {
                let prj = crs_file(&o.src.path);
                if prj != o.src.path {
                    findings.push(Finding::error(
                        "unknown_crs",
                        &prj,
                        None,
                        None,
                        None,
                        PRJ_UNREADABLE.into(),
                    ));
                }
            }
            if findings.iter().any(|f| f.severity == Severity::Error) {
                return Ok(SiteModel::new("unknown".into(), vec![], vec![], findings));
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let mut out = Out {
        features: Vec::new(),
        layers: Vec::new(),
        findings,
    };
    // Layers without a CRS are read last: whether their coordinates fit the site CRS
    // is judged against the extent of the others.
    let (bare, declared): (Vec<&Opened>, Vec<&Opened>) = opened.iter().partition(|o| has_no_crs(o));
    let ctx = ReadCtx {
        site: &site_srs,
        limits: &opts.limits,
        capture: &capture,
        read: opts.read,
    };
    let t0 = std::time::Instant::now();
    for o in declared {
        read_source(o, &ctx, &mut out);
    }
    for o in bare {
        read_source(o, &ctx, &mut out);
    }
    let read_s = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    let mut m = SiteModel::new_checked(
        srs_label(&site_srs),
        out.features,
        out.layers,
        out.findings,
        duplicate_parcel_id,
    );
    tracing::debug!(
        read_s,
        index_s = t0.elapsed().as_secs_f64(),
        "site package loaded"
    );
    m.crs_choice = Some(choice);
    Ok(m)
}

/// A source that declares no CRS at all: no `crs` in site.toml, no SRS in the file, and
/// for a Shapefile no `.prj` (an unreadable `.prj` is an error, not an absence).
fn has_no_crs(o: &Opened) -> bool {
    o.src.crs.is_none()
        && crs_file(&o.src.path) == o.src.path
        && o.ds.layers().all(|l| l.spatial_ref().is_none())
}

/// What every layer is read with.
struct ReadCtx<'a> {
    site: &'a SpatialRef,
    limits: &'a Limits,
    capture: &'a Capture,
    read: crate::ReadMode,
}

/// One GeoPackage: each layer named after its kind.
fn gpkg_sources(file: &Path, findings: &mut Vec<Finding>) -> Result<Vec<Source>, SiteError> {
    let ds = Dataset::open(file).map_err(|e| SiteError::Open {
        path: file.display().to_string(),
        message: package::why_unreadable(file, &e.to_string()),
    })?;
    let mut s = Vec::new();
    for l in ds.layers() {
        match Kind::parse(&l.name()) {
            Some(kind) => s.push(Source {
                path: file.to_path_buf(),
                kind,
                layer: Some(l.name()),
                fields: BTreeMap::new(),
                crs: None,
                width_m: None,
                plane: None,
                crs_described: None,
            }),
            None => findings.push(Finding::warn(
                "unknown_layer_kind",
                file,
                Some(&l.name()),
                None,
                None,
                "layer name is not a layer kind; ignored".into(),
            )),
        }
    }
    Ok(s)
}

/// The layers `site.toml` lists; a path that leaves the package is refused with a finding.
fn toml_sources(
    dir: &Path,
    toml_path: &Path,
    opts: &LoadOptions,
    findings: &mut Vec<Finding>,
) -> Result<(SiteToml, Vec<Source>), SiteError> {
    let config_err = |message: String| SiteError::Config {
        path: toml_path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(toml_path).map_err(|e| SiteError::Io {
        path: toml_path.display().to_string(),
        source: e,
    })?;
    let mut cfg: SiteToml = toml::from_str(&text).map_err(|e| config_err(e.to_string()))?;
    let locals = local_crs::resolve_all(&cfg.local_crs).map_err(config_err)?;
    local_site_crs(&mut cfg, &locals).map_err(config_err)?;
    let mut s = Vec::new();
    for l in &cfg.layer {
        let kind = Kind::parse(&l.kind)
            .ok_or_else(|| config_err(format!("layer '{}': unknown kind '{}'", l.path, l.kind)))?;
        if let Some(w) = l.width_m {
            if kind != Kind::RoadRedLine {
                return Err(config_err(format!(
                    "layer '{}': width_m is for road_red_line layers, not {}",
                    l.path, l.kind
                )));
            }
            if !(w > 0.0 && w < 500.0) {
                return Err(config_err(format!(
                    "layer '{}': width_m = {w} is outside the valid road width range (0, 500) m",
                    l.path
                )));
            }
        }
        for canon in l.fields.values() {
            if fields::field_type(canon).is_none() {
                return Err(config_err(format!(
                    "layer '{}': '{canon}' is not a canonical field",
                    l.path
                )));
            }
        }
        let path = match package::resolve_inside(dir, &l.path) {
            Ok(p) => p,
            Err(why) => {
                let finding = if opts.allow_outside_paths {
                    Finding::warn
                } else {
                    Finding::error
                };
                findings.push(finding(
                    "path_outside_package",
                    toml_path,
                    None,
                    None,
                    None,
                    if opts.allow_outside_paths {
                        format!("{why} (allowed by --allow-outside-paths)")
                    } else {
                        format!("{why}; 图层未读取 layer not read")
                    },
                ));
                if !opts.allow_outside_paths {
                    continue;
                }
                dir.join(&l.path)
            }
        };
        let field = format!("layer '{}': crs", l.path);
        let local = match &l.crs {
            Some(c) => local_named(c, &field, &locals).map_err(config_err)?,
            None => None,
        };
        s.push(Source {
            path,
            kind,
            layer: l.layer.clone(),
            fields: l.fields.clone(),
            crs: local
                .map(|c| c.definition().to_string())
                .or_else(|| l.crs.clone()),
            width_m: l.width_m,
            plane: local.and_then(LocalCrs::plane),
            crs_described: local.map(LocalCrs::describe),
        });
    }
    Ok((cfg, s))
}

/// A site `crs` naming a 7-parameter city system becomes its PROJ string, described for
/// the CRS choice; a 4-parameter one is refused (not a CRS PROJ knows; name its base).
fn local_site_crs(cfg: &mut SiteToml, locals: &BTreeMap<String, LocalCrs>) -> Result<(), String> {
    let Some(c) = cfg.crs.clone() else {
        return Ok(());
    };
    let Some(l) = local_named(&c, "crs", locals)? else {
        return Ok(());
    };
    if l.plane().is_some() {
        return Err(format!(
            "crs = '{c}': a 4-parameter city system cannot be the site CRS yet; \
             name its base ({}) as the site crs and '{c}' on the layers",
            l.base
        ));
    }
    cfg.crs = Some(l.definition().to_string());
    cfg.crs_described = Some(l.describe());
    Ok(())
}

/// The declared city system a `crs` names (`local:<name>`), `None` for any other
/// `crs`; an undeclared name is an error naming `field`.
fn local_named<'a>(
    crs: &str,
    field: &str,
    locals: &'a BTreeMap<String, LocalCrs>,
) -> Result<Option<&'a LocalCrs>, String> {
    let Some(name) = crs.trim().strip_prefix(local_crs::PREFIX) else {
        return Ok(None);
    };
    locals.get(name).map(Some).ok_or_else(|| {
        format!(
            "{field} = '{crs}' names a city system that is not declared: add [local_crs.{name}] \
             (declared: {})",
            if locals.is_empty() {
                "none".to_string()
            } else {
                locals.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        )
    })
}

/// The package may not read more than `max_total_bytes` in all.
fn check_total_bytes(dir: &Path, sources: &[Source], limits: &Limits) -> Result<(), SiteError> {
    let mut files: Vec<PathBuf> = sources
        .iter()
        .flat_map(|s| package::files_of(&s.path))
        .collect();
    files.sort();
    files.dedup();
    let total = package::bytes_of(&files);
    if total > limits.max_total_bytes {
        return Err(SiteError::LimitExceeded {
            path: dir.display().to_string(),
            limit: Limit::TotalBytes,
            value: total,
            max: limits.max_total_bytes,
        });
    }
    Ok(())
}

/// A source GDAL opened, with what its own headers declare.
struct Opened {
    src: Source,
    ds: Dataset,
    /// Shapefile text encoding and how it was chosen.
    encoding: Option<String>,
    declared: Vec<Declared>,
}

/// Opens every source once. A file that cannot be opened, or a Shapefile whose files
/// are cut short, is one `error` finding naming the file and why; it is not read.
fn open_all(sources: Vec<Source>, capture: &Capture, findings: &mut Vec<Finding>) -> Vec<Opened> {
    let mut out = Vec::new();
    for src in sources {
        if let Err(why) = package::precheck(&src.path) {
            findings.push(unreadable(&src.path, &why));
            continue;
        }
        let shp = package::is_ext(&src.path, "shp");
        let (declared, cut) = if shp {
            package::shapefile(&src.path)
        } else {
            (Vec::new(), Vec::new())
        };
        for c in &cut {
            findings.push(Finding::error(
                "file_truncated",
                &c.file,
                None,
                None,
                None,
                format!("{}; 图层未读取 layer not read", c.message),
            ));
        }
        if !cut.is_empty() {
            continue;
        }
        let encoding = shp.then(|| crate::encoding::shapefile_encoding(&src.path));
        if let Some(w) = encoding.as_ref().and_then(|e| e.warning.clone()) {
            findings.push(Finding::warn(
                "encoding_mismatch",
                &src.path.with_extension("cpg"),
                None,
                None,
                None,
                w,
            ));
        }
        let opened = open(&src, encoding.as_ref().map(|e| e.name.as_str()));
        let (messages, _) = capture.drain();
        match opened {
            Ok(ds) => {
                gdal_findings(&FilePlace(&src.path), None, &messages, findings);
                // GDAL parses a layer's CRS (a Shapefile's .prj) when first asked: ask now,
                // so what it says is about that file.
                for l in ds.layers() {
                    let _ = l.spatial_ref();
                }
                let (messages, _) = capture.drain();
                gdal_findings(&FilePlace(&crs_file(&src.path)), None, &messages, findings);
                out.push(Opened {
                    ds,
                    encoding: encoding.as_ref().map(|e| e.describe()),
                    declared,
                    src,
                });
            }
            Err(e) => {
                let mut gdal = e;
                for m in messages.iter().filter(|m| m.is_error()) {
                    gdal = format!("{gdal}; {}", m.text);
                }
                findings.push(unreadable(
                    &src.path,
                    &package::why_unreadable(&src.path, &gdal),
                ));
            }
        }
    }
    out
}

const PRJ_UNREADABLE: &str = "坐标系文件无法解析 the .prj cannot be read as a CRS; fix it or set `crs` for the layer in site.toml";

/// The file a source's CRS comes from: a Shapefile's .prj when there is one.
fn crs_file(path: &Path) -> PathBuf {
    let prj = package::sidecar(path, "prj");
    if package::is_ext(path, "shp") && prj.exists() {
        prj
    } else {
        path.to_path_buf()
    }
}

/// The `open_failed` finding: the file and why it cannot be read.
fn unreadable(path: &Path, why: &str) -> Finding {
    Finding::error(
        "open_failed",
        path,
        None,
        None,
        None,
        format!("文件无法读取 cannot read the file: {why}"),
    )
}

/// The site CRS and why (`crs` module): `--site-crs`, else site.toml's `crs`, else the
/// model's projected CRS, else a projected layer's (parcel layers first), else the
/// CGCS2000 3° Gauss-Krüger zone nearest the geographic layers' centre. A CRS that is
/// named (CLI, site.toml) and geographic is refused: the caller asked for it.
fn site_crs(
    config: &SiteToml,
    toml_path: &Path,
    dir: &Path,
    opened: &[Opened],
    opts: &LoadOptions,
) -> Result<(SpatialRef, CrsChoice), SiteError> {
    let named = |c: &str, place: String, source: CrsSource, described: Option<&String>| {
        let srs = srs_from(c).map_err(|m| SiteError::Config {
            path: place.clone(),
            message: format!("crs '{c}': {m}"),
        })?;
        if srs.is_geographic() {
            return Err(SiteError::GeographicSiteCrs {
                crs: srs_label(&srs),
            });
        }
        let reason = format!("{place} names {}", described.map_or(c, String::as_str));
        Ok((srs, CrsChoice { source, reason }))
    };
    if let Some(c) = &opts.site_crs {
        return named(c, "--site-crs".into(), CrsSource::Cli, None);
    }
    if let Some(c) = &config.crs {
        let described = config.crs_described.as_ref();
        return named(
            c,
            toml_path.display().to_string(),
            CrsSource::SiteToml,
            described,
        );
    }
    let mut order: Vec<&Opened> = opened
        .iter()
        .filter(|o| o.src.kind == Kind::Parcel)
        .collect();
    order.extend(opened.iter().filter(|o| o.src.kind != Kind::Parcel));
    let declared: Vec<(&Opened, SpatialRef)> = order
        .into_iter()
        .filter_map(|o| source_srs(o).ok().flatten().map(|s| (o, s)))
        .collect();
    // The model's CRS only when it is projected (a geographic one falls through) and
    // serves where the site data lies: a model georeferenced on another continent must
    // not drag the site there.
    let mut passed_over = None;
    if let Some(p) = &opts.preferred_crs {
        if let Some(srs) = srs_from(&p.crs).ok().filter(SpatialRef::is_projected) {
            match data_lon_lat(&declared).and_then(|d| crs::far_from_data(&srs, d)) {
                None => {
                    let reason = p.reason.clone();
                    let source = CrsSource::Model;
                    return Ok((srs, CrsChoice { source, reason }));
                }
                Some(why) => {
                    passed_over = Some(format!("the model's {} was passed over: {why}", p.crs))
                }
            }
        }
    }
    let (srs, mut choice) = package_crs(dir, &declared)?;
    if let Some(why) = passed_over {
        choice.reason = format!("{}; {why}", choice.reason);
    }
    Ok((srs, choice))
}

/// The site CRS from the package itself: a projected layer's, else the Gauss-Krüger
/// zone of the geographic ones.
fn package_crs(
    dir: &Path,
    declared: &[(&Opened, SpatialRef)],
) -> Result<(SpatialRef, CrsChoice), SiteError> {
    if let Some((o, srs)) = declared.iter().find(|(_, s)| s.is_projected()) {
        let mut reason = format!(
            "{} is in the projected CRS {}",
            o.src.path.display(),
            srs_label(srs)
        );
        if let Some(city) = &o.src.crs_described {
            reason = format!("{reason}, the base of its {city}");
        }
        let choice = CrsChoice {
            source: CrsSource::ProjectedLayer,
            reason,
        };
        return Ok((srs.clone(), choice));
    }
    if declared.is_empty() {
        return Err(SiteError::UnknownCrs {
            path: dir.display().to_string(),
        });
    }
    gauss_kruger_choice(dir, declared)
}

/// The extents of the layers an opened source reads, in its own CRS (latitude-first
/// geographic extents turned round).
fn layer_extents<'a>(o: &'a Opened, geographic: bool) -> impl Iterator<Item = [f64; 4]> + 'a {
    o.ds.layers()
        .filter(move |l| o.src.layer.as_deref().is_none_or(|w| w == l.name()))
        .filter_map(move |l| {
            let e = l.get_extent().ok()?;
            let e = [e.MinX, e.MinY, e.MaxX, e.MaxY];
            Some(if geographic && latitude_first(e) {
                [e[1], e[0], e[3], e[2]]
            } else {
                e
            })
        })
}

fn union(a: Option<[f64; 4]>, e: [f64; 4]) -> [f64; 4] {
    match a {
        None => e,
        Some(a) => [
            a[0].min(e[0]),
            a[1].min(e[1]),
            a[2].max(e[2]),
            a[3].max(e[3]),
        ],
    }
}

/// The longitude/latitude extent of every layer that declares a CRS.
fn data_lon_lat(declared: &[(&Opened, SpatialRef)]) -> Option<[f64; 4]> {
    let mut all = None;
    for (o, srs) in declared {
        for e in layer_extents(o, srs.is_geographic()) {
            if let Some(g) = crs::lon_lat_extent(srs, e) {
                all = Some(union(all, g));
            }
        }
    }
    all
}

/// The CGCS2000 3° Gauss-Krüger zone nearest the centre of the geographic layers.
fn gauss_kruger_choice(
    dir: &Path,
    declared: &[(&Opened, SpatialRef)],
) -> Result<(SpatialRef, CrsChoice), SiteError> {
    let no_crs = |why: String| SiteError::NoProjectedCrs {
        path: dir.display().to_string(),
        why,
    };
    let mut extent: Option<[f64; 4]> = None;
    for (o, _) in declared.iter().filter(|(_, s)| s.is_geographic()) {
        for e in layer_extents(o, true) {
            extent = Some(union(extent, e));
        }
    }
    let e = extent.ok_or_else(|| no_crs("the geographic layers have no extent".into()))?;
    let lon = (e[0] + e[2]) / 2.0;
    let (code, cm) = crs::gauss_kruger_zone(lon).ok_or_else(|| {
        no_crs(format!(
            "the data is geographic and centred at {lon:.3}°E, outside China's CGCS2000 \
             3° Gauss-Krüger zones (73.5°E–136.5°E)"
        ))
    })?;
    let srs = srs_from(&format!("EPSG:{code}")).map_err(no_crs)?;
    let reason = format!(
        "CGCS2000 3° Gauss-Krüger zone CM {cm}°E (EPSG:{code}), the central meridian \
         nearest the geographic data's centre at {lon:.3}°E"
    );
    Ok((
        srs,
        CrsChoice {
            source: CrsSource::GaussKrugerZone,
            reason,
        },
    ))
}

/// A geographic extent whose x looks like latitudes and y like longitudes (China:
/// longitude 73..136 E, latitude 3..54 N).
fn latitude_first(e: [f64; 4]) -> bool {
    let lon_like = |a: f64, b: f64| a >= 73.0 && b <= 136.0;
    let lat_like = |a: f64, b: f64| a >= -1.0 && b <= 55.0;
    lat_like(e[0], e[2]) && lon_like(e[1], e[3])
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

fn source_srs(o: &Opened) -> Result<Option<SpatialRef>, String> {
    if let Some(c) = &o.src.crs {
        return srs_from(c).map(Some);
    }
    let srs = o.ds.layers().find_map(|l| l.spatial_ref());
    Ok(srs.map(|mut r| {
        r.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        r
    }))
}

/// What the loader accumulates.
pub(crate) struct Out {
    pub(crate) features: Vec<Feature>,
    layers: Vec<LayerInfo>,
    pub(crate) findings: Vec<Finding>,
}

/// Where GDAL messages are reported: a file, or one layer of it.
pub(crate) trait Place {
    fn finding(&self, error: bool, code: &'static str, fid: Option<u64>, msg: String) -> Finding;
}

struct FilePlace<'a>(&'a Path);

impl Place for FilePlace<'_> {
    fn finding(&self, error: bool, code: &'static str, fid: Option<u64>, msg: String) -> Finding {
        let f = if error { Finding::error } else { Finding::warn };
        f(code, self.0, None, fid, None, msg)
    }
}

impl Place for LayerPlace<'_> {
    fn finding(&self, error: bool, code: &'static str, fid: Option<u64>, msg: String) -> Finding {
        if error {
            self.error(code, fid, None, msg)
        } else {
            self.warn(code, fid, None, msg)
        }
    }
}

/// GDAL messages as findings: an error (`gdal_error`) means GDAL could not read
/// something, so data may be missing; a warning (`gdal_warning`) is kept as one.
pub(crate) fn gdal_findings(
    here: &dyn Place,
    fid: Option<u64>,
    messages: &[cpl::CplMessage],
    findings: &mut Vec<Finding>,
) {
    for m in messages {
        let (code, what) = if m.is_error() {
            ("gdal_error", "GDAL 读取错误 GDAL read error")
        } else if matches!(m.class, gdal::errors::CplErrType::Warning) {
            ("gdal_warning", "GDAL 警告 GDAL warning")
        } else {
            continue;
        };
        findings.push(here.finding(
            m.is_error(),
            code,
            fid,
            format!("{what} {}: {}", m.num, m.text.trim()),
        ));
    }
}

fn read_source(o: &Opened, rc: &ReadCtx<'_>, out: &mut Out) {
    let (site, limits, capture) = (rc.site, rc.limits, rc.capture);
    for mut layer in o.ds.layers() {
        let lname = layer.name();
        if o.src.layer.as_deref().is_some_and(|want| want != lname) {
            continue;
        }
        let here = LayerPlace {
            file: &o.src.path,
            layer: &lname,
        };
        let transform = layer_transform(&o.src, &layer, rc, &here, out);
        let (messages, _) = capture.drain();
        gdal_findings(&here, None, &messages, &mut out.findings);
        let Some((src, transform, crs_assumed)) = transform else {
            continue;
        };
        // Local plane coordinates are not the base CRS's until transformed.
        let axis_swapped = if o.src.plane.is_some() {
            None
        } else {
            detect_swapped_axes(&mut layer, &src)
        };
        if let Some(why) = &axis_swapped {
            out.findings.push(here.warn(
                "axis_order_swapped",
                None,
                None,
                format!("coordinates are {why}; x and y were swapped before transforming"),
            ));
        }
        let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
        let ctx = LayerRead {
            row: RowCtx {
                s: &o.src,
                here,
                mapping: mapping(&o.src, &field_names),
                field_names,
                limits,
            },
            // Identical CRSs need no per-feature transform.
            transform: (src.to_wkt().ok() != site.to_wkt().ok()).then_some(&transform),
            axis_swapped: axis_swapped.is_some(),
            driver: o.ds.driver().short_name(),
            arrow: rc.read == crate::ReadMode::Auto,
        };
        let declared = declared_counts(o, &layer);
        // One allocation for a large layer (growing a Vec of a million features
        // copies it many times over).
        let expected = declared.iter().map(|d| d.records).max().unwrap_or(0);
        out.features
            .reserve(usize::try_from(expected.min(limits.max_features_per_layer)).unwrap_or(0));
        let before = out.features.len();
        let (returned, arrow) = read_features(&ctx, &mut layer, &declared, capture, out);
        if let Some(returned) = returned {
            compare_counts(&ctx.row.here, &declared, returned, out);
        }
        if o.src.kind == Kind::RoadRedLine {
            settle_road_widths(o, &ctx.row.here, capture, before, out);
        }
        let count = out.features.len() - before;
        if count == 0 {
            out.findings.push(ctx.row.here.warn(
                "empty_layer",
                None,
                None,
                "layer has no features".into(),
            ));
        }
        let extent = extent(&out.features[before..]);
        out.layers.push(LayerInfo {
            file: o.src.path.display().to_string(),
            layer: lname.clone(),
            kind: o.src.kind,
            features: count,
            source_crs: o
                .src
                .crs_described
                .clone()
                .unwrap_or_else(|| srs_label(&src)),
            crs_assumed,
            city_crs: o.src.crs_described.is_some(),
            encoding: o.encoding.clone(),
            extent,
            arrow,
        });
    }
}

/// A road layer's widths from its attributes, `site.toml`, its DXF layer or file name or
/// the DXF's text labels (`widths::settle`), for the features from `before` on.
fn settle_road_widths(
    o: &Opened,
    here: &LayerPlace<'_>,
    capture: &Capture,
    before: usize,
    out: &mut Out,
) {
    let dxf = package::is_ext(&o.src.path, "dxf");
    let heights = if dxf {
        dxf_text_heights(&o.ds, here.layer, capture)
    } else {
        BTreeMap::new()
    };
    let road_layer = widths::RoadLayer {
        here,
        width_m: o.src.width_m,
        dxf,
        heights: &heights,
    };
    widths::settle(&road_layer, &mut out.features, before, &mut out.findings);
}

/// The union of the features' envelopes.
fn extent(features: &[Feature]) -> Option<[f64; 4]> {
    features.iter().filter_map(|f| f.bbox).reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    })
}

/// The text heights of a DXF layer's TEXT/MTEXT entities by fid, from their OGR style
/// strings (`OGR_STYLE`, which the gdal crate exposes only through OGR SQL). A failure
/// costs only the heights: labels then reach the 5 m floor (`widths::reach`), which is
/// logged, not a finding, since nothing of the data is lost.
fn dxf_text_heights(ds: &Dataset, layer: &str, capture: &Capture) -> BTreeMap<u64, f64> {
    let quoted = layer.replace('"', "\"\"");
    let sql = format!("SELECT FID, OGR_STYLE FROM \"{quoted}\" WHERE Text IS NOT NULL");
    let mut heights = BTreeMap::new();
    match ds.execute_sql(&sql, None, gdal::vector::sql::Dialect::OGR) {
        Ok(Some(mut rs)) => {
            for f in rs.features() {
                let fid = match f.field(0) {
                    Ok(Some(FieldValue::IntegerValue(v))) => u64::try_from(v).ok(),
                    Ok(Some(FieldValue::Integer64Value(v))) => u64::try_from(v).ok(),
                    _ => None,
                };
                let style = f.field_as_string(1).ok().flatten();
                if let (Some(fid), Some(h)) = (fid, style.as_deref().and_then(widths::label_height))
                {
                    heights.insert(fid, h);
                }
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(layer, "DXF text heights not read: {e}; labels reach 5 m"),
    }
    let (messages, _) = capture.drain();
    for m in messages {
        tracing::warn!(layer, "DXF text heights: {}", m.text.trim());
    }
    heights
}

/// The layer's CRS, the transform to the site CRS and whether the CRS was assumed;
/// `None` (with a finding) when the layer cannot be placed. A layer that declares no
/// CRS takes the site CRS with an `assumed_crs` warning when its extent is plausible
/// there (`crs::implausible`), else an `implausible_coordinates` error saying what the
/// coordinates look like.
fn layer_transform(
    s: &Source,
    layer: &gdal::vector::Layer<'_>,
    rc: &ReadCtx<'_>,
    here: &LayerPlace<'_>,
    out: &mut Out,
) -> Option<(SpatialRef, CoordTransform, bool)> {
    let site = rc.site;
    let src = match &s.crs {
        Some(c) => srs_from(c).ok(),
        None => layer.spatial_ref(),
    };
    let file = crs_file(here.file);
    let (mut src, assumed) = match src {
        Some(src) => (src, false),
        None if file == here.file && s.crs.is_none() => {
            (assume_site_crs(layer, rc, here, out)?, true)
        }
        None => {
            out.findings.push(Finding::error(
                "unknown_crs",
                &file,
                Some(here.layer),
                None,
                None,
                PRJ_UNREADABLE.into(),
            ));
            return None;
        }
    };
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    match helmert_transform(&src, site) {
        Ok(t) => Some((src, t, assumed)),
        Err(e) => {
            out.findings.push(here.error(
                "crs_transform",
                None,
                None,
                format!(
                    "no transformation from {} to {}: {e}",
                    srs_label(&src),
                    srs_label(site)
                ),
            ));
            None
        }
    }
}

/// The transform from `src` to `site`. PROJ applies a `+towgs84` (a 7-parameter city
/// system, `local_crs`) only on the way to WGS 84 or to another CRS bound to it; to a
/// plain CGCS2000 CRS it silently drops it. So when one side carries `+towgs84` and the
/// other does not, the other is bound to WGS 84 with zero parameters (its datum taken
/// as WGS 84, as PROJ's own CGCS2000 ↔ WGS 84 ballpark does) and the shift is applied.
pub(crate) fn helmert_transform(
    src: &SpatialRef,
    site: &SpatialRef,
) -> gdal::errors::Result<CoordTransform> {
    let bound = |s: &SpatialRef| s.to_proj4().is_ok_and(|p| p.contains("+towgs84="));
    let to_hub = |s: &SpatialRef| -> Option<SpatialRef> {
        let p = s.to_proj4().ok()?;
        srs_from(&format!("{} +towgs84=0,0,0,0,0,0,0", p.trim())).ok()
    };
    let (a, b) = (bound(src), bound(site));
    let src2 = (b && !a).then(|| to_hub(src)).flatten();
    let site2 = (a && !b).then(|| to_hub(site)).flatten();
    CoordTransform::new(src2.as_ref().unwrap_or(src), site2.as_ref().unwrap_or(site))
}

/// The site CRS for a layer that declares none, when its extent fits there (inside the
/// CRS's area of use, near the layers read so far); else `None` with an error finding.
fn assume_site_crs(
    layer: &gdal::vector::Layer<'_>,
    rc: &ReadCtx<'_>,
    here: &LayerPlace<'_>,
    out: &mut Out,
) -> Option<SpatialRef> {
    let site = srs_label(rc.site);
    let others = out.layers.iter().filter_map(|l| l.extent).reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    });
    if let Ok(e) = layer.get_extent() {
        let e = [e.MinX, e.MinY, e.MaxX, e.MaxY];
        let (before, _) = rc.capture.drain();
        gdal_findings(here, None, &before, &mut out.findings);
        let why = crs::implausible(e, rc.site, others);
        // PROJ's complaints about probing implausible coordinates are not the data's.
        let _ = rc.capture.drain();
        if let Some(why) = why {
            let msg = crs::misfit(e).describe(e, &site, &why);
            out.findings
                .push(here.error("implausible_coordinates", None, None, msg));
            return None;
        }
    }
    out.findings.push(here.warn(
        "assumed_crs",
        None,
        None,
        format!(
            "图层无坐标系, 按场地坐标系读取 the layer declares no CRS (no .prj / SRS); \
             read in the site CRS {site}; declare its crs in site.toml if that is wrong"
        ),
    ));
    Some(rc.site.clone())
}

/// Source field index -> canonical name.
fn mapping(s: &Source, field_names: &[String]) -> Vec<Option<(&'static str, FieldType)>> {
    field_names
        .iter()
        .map(|n| {
            s.fields
                .get(n)
                .and_then(|c| fields::FIELDS.iter().find(|f| f.0 == c).map(|f| (f.0, f.1)))
                .or_else(|| canonical(n))
        })
        .collect()
}

/// What one layer's features are read with.
pub(crate) struct LayerRead<'a> {
    pub(crate) row: RowCtx<'a>,
    /// `None` when the layer is already in the site CRS.
    pub(crate) transform: Option<&'a CoordTransform>,
    pub(crate) axis_swapped: bool,
    /// The GDAL driver's short name (`GPKG`, `ESRI Shapefile`, ...).
    pub(crate) driver: String,
    /// The Arrow stream may be tried (`ReadMode::Auto`).
    pub(crate) arrow: bool,
}

/// What a feature is built from its values with; `Sync`, so rows can be built on
/// several threads (`columnar`).
pub(crate) struct RowCtx<'a> {
    pub(crate) s: &'a Source,
    pub(crate) here: LayerPlace<'a>,
    pub(crate) field_names: Vec<String>,
    pub(crate) mapping: Vec<Option<(&'static str, FieldType)>>,
    pub(crate) limits: &'a Limits,
}

/// One feature as read, whichever way: its fid, its field values (`None` when null or
/// unset) and its geometry in the site CRS or the finding that rejects it.
pub(crate) struct Record {
    pub(crate) fid: Option<u64>,
    pub(crate) values: Vec<Option<FieldValue>>,
    pub(crate) geometry: Result<(geo::Geometry<f64>, Option<String>), Box<Finding>>,
}

/// The record counts the source declares: a Shapefile's SHX and DBF headers, else what
/// the driver counts without reading every feature (GeoPackage: its contents table;
/// GeoJSON: the features parsed).
fn declared_counts(o: &Opened, layer: &gdal::vector::Layer<'_>) -> Vec<Declared> {
    if !o.declared.is_empty() {
        return o.declared.clone();
    }
    let how = if package::is_ext(&o.src.path, "gpkg") {
        "GeoPackage feature count"
    } else {
        "GDAL feature count"
    };
    layer
        .try_feature_count()
        .map(|n| Declared {
            file: o.src.path.clone(),
            records: n,
            how,
        })
        .into_iter()
        .collect()
}

/// Reads every feature: the number GDAL returned, or `None` when reading stopped at a
/// limit (with a finding); and whether the Arrow stream read them.
fn read_features(
    ctx: &LayerRead<'_>,
    layer: &mut gdal::vector::Layer<'_>,
    declared: &[Declared],
    capture: &Capture,
    out: &mut Out,
) -> (Option<u64>, bool) {
    if let Some(d) = declared
        .iter()
        .find(|d| d.records > ctx.row.limits.max_features_per_layer)
    {
        let max = ctx.row.limits.max_features_per_layer;
        out.findings.push(limit_finding(
            &ctx.row.here,
            None,
            Limit::FeaturesPerLayer,
            d.records,
            max,
        ));
        return (None, false);
    }
    if ctx.arrow && crate::columnar::eligible(ctx) {
        let (features, findings) = (out.features.len(), out.findings.len());
        match crate::columnar::read_layer(ctx, layer, capture, out) {
            Ok(read) => return (read, true),
            Err(why) => {
                // Nothing of the attempt is kept: the feature path reads the layer again
                // and reports, per fid, whatever GDAL or the data said.
                out.features.truncate(features);
                out.findings.truncate(findings);
                layer.reset_feature_reading();
                let _ = capture.drain();
                tracing::warn!(
                    file = %ctx.row.here.file.display(),
                    layer = ctx.row.here.layer,
                    "Arrow stream not used ({why}); reading feature by feature"
                );
            }
        }
    }
    (read_each(ctx, layer, capture, out), false)
}

/// Reads feature by feature; the number GDAL returned, or `None` when reading stopped
/// at the feature limit (with a finding).
fn read_each(
    ctx: &LayerRead<'_>,
    layer: &mut gdal::vector::Layer<'_>,
    capture: &Capture,
    out: &mut Out,
) -> Option<u64> {
    let max = ctx.row.limits.max_features_per_layer;
    let mut returned = 0u64;
    let mut last_fid = None;
    let mut it = layer.features();
    loop {
        let next = it.next();
        let (messages, dropped) = capture.drain();
        let fid = next.as_ref().and_then(|f| f.fid()).or(last_fid);
        gdal_findings(&ctx.row.here, fid, &messages, &mut out.findings);
        if dropped > 0 {
            out.findings.push(ctx.row.here.error(
                "gdal_error",
                fid,
                None,
                format!("{dropped} more GDAL messages 条 GDAL 消息未列出"),
            ));
        }
        let Some(f) = next else { break };
        returned += 1;
        if returned > max {
            out.findings.push(limit_finding(
                &ctx.row.here,
                fid,
                Limit::FeaturesPerLayer,
                returned,
                max,
            ));
            return None;
        }
        last_fid = f.fid();
        read_feature(ctx, &f, out);
        // What GDAL raised while the feature was converted (PROJ, GEOS) is about it too.
        let (messages, _) = capture.drain();
        gdal_findings(&ctx.row.here, last_fid, &messages, &mut out.findings);
    }
    Some(returned)
}

pub(crate) fn limit_finding(
    here: &LayerPlace<'_>,
    fid: Option<u64>,
    l: Limit,
    value: u64,
    max: u64,
) -> Finding {
    here.error(
        "limit_exceeded",
        fid,
        None,
        format!("超出限制 limit exceeded: {l} = {max}, this source has {value}; not read"),
    )
}

/// Features GDAL returned must be what the source declares; otherwise the layer lost some.
fn compare_counts(here: &LayerPlace<'_>, declared: &[Declared], returned: u64, out: &mut Out) {
    for d in declared.iter().filter(|d| d.records != returned) {
        out.findings.push(Finding::error(
            "layer_incomplete",
            &d.file,
            Some(here.layer),
            None,
            None,
            format!(
                "图层不完整 layer incomplete: read {returned} features, the {} of {} declares {}",
                d.how,
                d.file.display(),
                d.records
            ),
        ));
    }
}

/// One feature through the feature API: its values and geometry, then [`build_feature`].
fn read_feature(ctx: &LayerRead<'_>, f: &gdal::vector::Feature<'_>, out: &mut Out) {
    let values = (0..ctx.row.field_names.len())
        .map(|i| match f.field(i) {
            Ok(Some(v)) if !unset_number(f, i, &v) => Some(v),
            _ => None,
        })
        .collect();
    let rec = Record {
        fid: f.fid(),
        values,
        geometry: feature_geometry(ctx, f),
    };
    if let Some(feature) = build_feature(&ctx.row, rec, &mut out.findings) {
        out.features.push(feature);
    }
}

/// One feature: canonical attributes (range-checked) and the geometry already in the
/// site CRS; the findings in the order the checks run. `None` when it is rejected.
pub(crate) fn build_feature(
    ctx: &RowCtx<'_>,
    rec: Record,
    findings: &mut Vec<Finding>,
) -> Option<Feature> {
    let here = &ctx.here;
    let kind = ctx.s.kind;
    let fid = rec.fid;
    let mut attrs: BTreeMap<String, Value> = BTreeMap::new();
    let mut extra: BTreeMap<String, Value> = BTreeMap::new();
    for ((name, v), map) in ctx.field_names.iter().zip(rec.values).zip(&ctx.mapping) {
        let Some(v) = v else { continue };
        match map {
            Some((canon, ty)) => match convert_owned(canon, *ty, v) {
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
    let bad = ranges::enforce(kind, &mut attrs);
    // Only messages name the feature (`enforce` keeps the text id).
    let label = |attrs: &BTreeMap<String, Value>| match attrs.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => format!("fid {}", fid.unwrap_or(0)),
    };
    for o in &bad {
        findings.push(here.error(
            "value_out_of_range",
            fid,
            Some(o.field),
            format!(
                "{} {}: {} = {} 超出有效范围 is outside its valid range {}; 该值不予采用, 依赖它的核验项无法核验 the value is not used and the checks that need it are unverifiable",
                kind.as_str(),
                label(&attrs),
                o.field,
                o.value,
                o.range
            ),
        ));
    }
    let geom = match rec.geometry {
        Ok((g, repaired)) => {
            if let Some(msg) = repaired {
                findings.push(here.warn("invalid_geometry_repaired", fid, None, msg));
            }
            g
        }
        Err(finding) => {
            findings.push(*finding);
            return None;
        }
    };
    // A road's width may come from elsewhere; `widths::settle` reports it missing.
    for req in kind
        .required()
        .iter()
        .filter(|r| kind != Kind::RoadRedLine || **r != "width")
    {
        if !attrs.contains_key(*req) && !bad.iter().any(|o| o.field == *req) {
            findings.push(here.error(
                "missing_attribute",
                fid,
                Some(req),
                format!(
                    "{} {} has no '{req}' (map a source field to it in site.toml)",
                    kind.as_str(),
                    label(&attrs),
                ),
            ));
        }
    }
    Some(Feature {
        kind,
        bbox: geom
            .bounding_rect()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        geometry: geom,
        attrs,
        extra,
        file: ctx.s.path.display().to_string(),
        layer: here.layer.to_string(),
        fid,
        width_source: None,
    })
}

/// A numeric field the feature does not set reads as 0 through the gdal crate (it asks
/// GDAL only whether the field is null); GDAL's string form of an unset field is empty.
/// A GeoJSON feature without a property another feature has is such a case: its 0 is
/// not data.
fn unset_number(f: &gdal::vector::Feature<'_>, i: usize, v: &FieldValue) -> bool {
    let zero = matches!(
        v,
        FieldValue::RealValue(0.0) | FieldValue::IntegerValue(0) | FieldValue::Integer64Value(0)
    );
    zero && f
        .field_as_string(i)
        .ok()
        .flatten()
        .is_some_and(|s| s.is_empty())
}

/// The feature's geometry in the site CRS, 2-D, areal kinds as valid multipolygons, and
/// the repair message when it had to be repaired; `Err` is the finding that rejects it.
fn feature_geometry(
    ctx: &LayerRead<'_>,
    f: &gdal::vector::Feature<'_>,
) -> Result<(geo::Geometry<f64>, Option<String>), Box<Finding>> {
    let here = &ctx.row.here;
    let fid = f.fid();
    let Some(g) = f.geometry().filter(|g| has_geometry(g)) else {
        return Err(Box::new(here.error(
            "no_geometry",
            fid,
            None,
            "feature has no geometry; skipped".into(),
        )));
    };
    let vertices = ogr_vertices(g);
    let max = ctx.row.limits.max_vertices_per_feature;
    if vertices > max {
        return Err(Box::new(limit_finding(
            here,
            fid,
            Limit::VerticesPerFeature,
            vertices,
            max,
        )));
    }
    // Copy the OGR geometry only when it has to change (3-D, swapped or another CRS).
    let has_z = gdal::vector::geometry_type_has_z(g.geometry_type());
    let owned;
    let plane = ctx.row.s.plane;
    let changes = has_z || ctx.axis_swapped || ctx.transform.is_some() || plane.is_some();
    let g: &gdal::vector::Geometry = if changes {
        let mut c = g.clone();
        c.flatten_to_2d();
        if let Some(p) = &plane {
            apply_plane(&mut c, p);
        }
        if ctx.axis_swapped {
            swap_xy(&mut c);
        }
        owned = match ctx.transform {
            Some(t) => c
                .transform(t)
                .map_err(|e| Box::new(here.error("transform_failed", fid, None, e.to_string())))?,
            None => c,
        };
        &owned
    } else {
        g
    };
    let geom: geo::Geometry<f64> = geo::Geometry::try_from(g)
        .map_err(|e| Box::new(here.error("geometry_unsupported", fid, None, e.to_string())))?;
    // Polygons are validated as GDAL holds them (no copy back to OGR for GEOS).
    let valid_as_read = || {
        let flat = gdal::vector::geometry_type_flatten(g.geometry_type());
        (flat == OGRwkbGeometryType::wkbPolygon || flat == OGRwkbGeometryType::wkbMultiPolygon)
            .then(|| g.is_valid())
    };
    checked_geometry(&ctx.row, fid, geom, valid_as_read)
}

/// A geometry already in the site CRS, checked: coordinates sane, areal kinds closed
/// valid multipolygons (repaired when they can be). `valid_as_read` is GEOS's verdict on
/// the geometry as GDAL read it, asked only when needed (`None`: not a polygon type).
pub(crate) fn checked_geometry(
    ctx: &RowCtx<'_>,
    fid: Option<u64>,
    geom: geo::Geometry<f64>,
    valid_as_read: impl FnOnce() -> Option<bool>,
) -> Result<(geo::Geometry<f64>, Option<String>), Box<Finding>> {
    let here = &ctx.here;
    let invalid = |why: String| Box::new(here.error("invalid_geometry", fid, None, why));
    sane_coordinates(&geom).map_err(invalid)?;
    if !ctx.s.kind.is_areal() {
        return Ok((geom, None));
    }
    let Some(mp) = areal(geom) else {
        return Err(Box::new(here.error(
            "not_an_area",
            fid,
            None,
            format!(
                "a {} must be a polygon or a closed line",
                ctx.s.kind.as_str()
            ),
        )));
    };
    closed_rings(&mp).map_err(invalid)?;
    // A strictly convex ring is valid for GEOS too; asking GEOS costs more than the
    // rest of the feature together (a million parcels).
    let valid = if crate::repair::strictly_convex(&mp) {
        Some(true)
    } else {
        valid_as_read()
    };
    match repair(mp, valid) {
        Repair::Valid(g) => Ok((geo::Geometry::MultiPolygon(g), None)),
        Repair::Repaired(g, msg) => Ok((geo::Geometry::MultiPolygon(g), Some(msg))),
        Repair::Rejected(msg) => Err(invalid(msg)),
    }
}

/// Whether a feature's geometry is there. The gdal crate wraps a feature without one
/// (a null shape, a GeoJSON polygon without rings) in a geometry with a NULL handle; GDAL
/// then answers every call with "Pointer 'hGeom' is NULL" and type wkbUnknown, which
/// no real geometry has. That message is expected here, so a nested capture swallows it.
fn has_geometry(g: &gdal::vector::Geometry) -> bool {
    let probe = Capture::start();
    let unknown = g.geometry_type() == OGRwkbGeometryType::wkbUnknown;
    let (messages, _) = probe.drain();
    !unknown || messages.is_empty()
}

/// Farther from the origin than this, a coordinate is in no projected CRS (zone-prefixed
/// Gauss-Krüger eastings stay below 5·10⁷ m).
const MAX_COORDINATE_M: f64 = 1e9;

/// Every coordinate finite and within [`MAX_COORDINATE_M`].
fn sane_coordinates(g: &geo::Geometry<f64>) -> Result<(), String> {
    match g.coords_iter().find(|c| {
        !(c.x.is_finite()
            && c.y.is_finite()
            && c.x.abs() < MAX_COORDINATE_M
            && c.y.abs() < MAX_COORDINATE_M)
    }) {
        Some(c) => Err(format!(
            "坐标无效 coordinate ({:e}, {:e}) is not finite or lies beyond 10⁹ m; feature rejected",
            c.x, c.y
        )),
        None => Ok(()),
    }
}

/// Every ring has at least four points (three distinct and the closing one).
fn closed_rings(mp: &MultiPolygon<f64>) -> Result<(), String> {
    let short =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .find(|r| r.0.len() < 4);
    match short {
        Some(r) => Err(format!(
            "环点数不足 a polygon ring has {} points, fewer than 4; feature rejected",
            r.0.len()
        )),
        None => Ok(()),
    }
}

/// Vertices of an OGR geometry over all its parts and rings.
fn ogr_vertices(g: &gdal::vector::Geometry) -> u64 {
    let n = g.geometry_count();
    if n == 0 {
        return g.point_count() as u64;
    }
    (0..n).map(|i| ogr_vertices(&g.get_geometry(i))).sum()
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

/// [`convert`], keeping a text value's string when it needs no trimming (no copy).
fn convert_owned(canon: &str, ty: FieldType, v: FieldValue) -> Result<Option<Value>, String> {
    match v {
        FieldValue::StringValue(s)
            if ty == FieldType::Text && !s.is_empty() && s.trim().len() == s.len() =>
        {
            Ok(Some(Value::String(s)))
        }
        v => convert(canon, ty, &v),
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

/// A city system's 4-parameter transform on every vertex: local → its base CRS.
fn apply_plane(g: &mut gdal::vector::Geometry, p: &FourParameter) {
    let n = g.geometry_count();
    if n > 0 {
        for i in 0..n {
            apply_plane(&mut g.get_geometry(i), p);
        }
        return;
    }
    let mut pts = Vec::new();
    g.get_points(&mut pts);
    for (i, pt) in pts.iter().enumerate() {
        g.set_point_2d(i, p.apply(pt.0, pt.1));
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
        if latitude_first([e.MinX, e.MinY, e.MaxX, e.MaxY]) {
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

/// The finding on a parcel whose id an earlier parcel (`first`) already has.
fn duplicate_parcel_id(f: &Feature, first: &Feature) -> Option<Finding> {
    let id = f.id()?;
    Some(Finding::error(
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
    ))
}
