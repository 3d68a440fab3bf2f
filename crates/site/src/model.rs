//! The site model: planning features in the site CRS with an R-tree over their envelopes.

use crate::crs::CrsChoice;
use crate::fields::Kind;
use crate::widths::WidthSource;
use geo::{BoundingRect, Contains, Coord, Distance, Euclidean, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One planning feature, geometry in site coordinates (metres).
#[derive(Debug, Clone)]
pub struct Feature {
    pub kind: Kind,
    pub geometry: geo::Geometry<f64>,
    /// [min x, min y, max x, max y] of `geometry`, computed once.
    pub bbox: Option<[f64; 4]>,
    /// Canonical attributes (`id`, `land_use`, `far_max`, `width`, ...).
    pub attrs: BTreeMap<String, Value>,
    /// Source attributes that map to no canonical field, kept for display.
    pub extra: BTreeMap<String, Value>,
    pub file: String,
    pub layer: String,
    pub fid: Option<u64>,
    /// Where a road's `width` came from; `None` for other kinds and roads without one.
    pub width_source: Option<WidthSource>,
}

impl Feature {
    pub fn id(&self) -> Option<&str> {
        self.attrs.get("id").and_then(Value::as_str)
    }
    pub fn text(&self, k: &str) -> Option<&str> {
        self.attrs.get(k).and_then(Value::as_str)
    }
    pub fn number(&self, k: &str) -> Option<f64> {
        self.attrs.get(k).and_then(Value::as_f64)
    }
    /// How a report names the feature: its `name`, else its `id`, else `?`.
    pub fn label(&self) -> String {
        self.text("name").or(self.id()).unwrap_or("?").to_string()
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A validation finding; names the file, layer, feature and field it is about.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub file: String,
    pub layer: Option<String>,
    pub fid: Option<u64>,
    pub field: Option<String>,
    pub message: String,
}

/// Error codes about one value, which the checks see as missing (`unverifiable`);
/// every other error means data was not read.
const VALUE_ERRORS: &[&str] = &["missing_attribute", "value_out_of_range"];

impl Finding {
    /// Whether a review must not run on the package: an error other than a missing or
    /// refused value, i.e. a file, layer or feature that was not (completely) read.
    pub fn blocks_review(&self) -> bool {
        self.severity == Severity::Error && !VALUE_ERRORS.contains(&self.code)
    }

    fn new(
        severity: Severity,
        code: &'static str,
        file: &Path,
        layer: Option<&str>,
        fid: Option<u64>,
        field: Option<&str>,
        message: String,
    ) -> Self {
        Finding {
            severity,
            code,
            file: file.display().to_string(),
            layer: layer.map(str::to_owned),
            fid,
            field: field.map(str::to_owned),
            message,
        }
    }
    pub fn warn(
        code: &'static str,
        file: &Path,
        layer: Option<&str>,
        fid: Option<u64>,
        field: Option<&str>,
        message: String,
    ) -> Self {
        Self::new(Severity::Warning, code, file, layer, fid, field, message)
    }
    pub fn error(
        code: &'static str,
        file: &Path,
        layer: Option<&str>,
        fid: Option<u64>,
        field: Option<&str>,
        message: String,
    ) -> Self {
        Self::new(Severity::Error, code, file, layer, fid, field, message)
    }
}

/// The file and layer findings of one layer are about.
pub(crate) struct LayerPlace<'a> {
    pub file: &'a Path,
    pub layer: &'a str,
}

impl LayerPlace<'_> {
    pub fn error(
        &self,
        code: &'static str,
        fid: Option<u64>,
        field: Option<&str>,
        message: String,
    ) -> Finding {
        Finding::error(code, self.file, Some(self.layer), fid, field, message)
    }
    pub fn warn(
        &self,
        code: &'static str,
        fid: Option<u64>,
        field: Option<&str>,
        message: String,
    ) -> Finding {
        Finding::warn(code, self.file, Some(self.layer), fid, field, message)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    pub file: String,
    pub layer: String,
    pub kind: Kind,
    pub features: usize,
    pub source_crs: String,
    /// The layer declares no CRS and was read in the site CRS (`assumed_crs`).
    pub crs_assumed: bool,
    /// The layer's `crs` is a declared city system 城市独立坐标系 (`local:<name>`);
    /// `source_crs` then describes it.
    pub city_crs: bool,
    /// Shapefile text encoding used and how it was chosen.
    pub encoding: Option<String>,
    /// [min x, min y, max x, max y] in site coordinates.
    pub extent: Option<[f64; 4]>,
    /// Read through GDAL's Arrow stream (else feature by feature). Not part of the
    /// JSON: the result is the same either way.
    #[serde(skip)]
    pub arrow: bool,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Wider nodes than rstar's default (6) for large layers: a shallower tree and
/// fewer node visits per envelope query over a million parcels (neighbourhood
/// queries 100k/s → 120–130k/s on one thread; 64 was no faster). Small layers
/// keep the default, which nearest-neighbour walks prefer (nearest road: about
/// 350k/s with wide nodes, 500k/s without).
struct Wide;

/// Layers with at least this many features get [`Wide`] nodes.
const WIDE_FROM: usize = 100_000;

/// The R-tree of one layer.
enum Index {
    Wide(RTree<Entry, Wide>),
    Narrow(RTree<Entry>),
}

/// One of two iterator types (the two tree flavours).
enum Either<A, B> {
    A(A),
    B(B),
}

impl<T, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for Either<A, B> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        match self {
            Either::A(a) => a.next(),
            Either::B(b) => b.next(),
        }
    }
}

/// One R-tree per kind. The tree's rectangle is the geometry's own tight envelope (not
/// the caller-set `bbox`): `within` accepts on it, which needs every side of the
/// rectangle to touch the geometry.
fn trees(features: &[Feature]) -> BTreeMap<Kind, Index> {
    use rayon::prelude::*;
    let rects: Vec<Option<Rectangle<[f64; 2]>>> = features
        .par_iter()
        .with_min_len(4096)
        .map(|f| {
            f.geometry
                .bounding_rect()
                .map(|b| Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]))
        })
        .collect();
    let mut per_kind: BTreeMap<Kind, Vec<Entry>> = BTreeMap::new();
    for (i, (f, r)) in features.iter().zip(rects).enumerate() {
        if let Some(r) = r {
            per_kind
                .entry(f.kind)
                .or_default()
                .push(GeomWithData::new(r, i));
        }
    }
    per_kind
        .into_par_iter()
        .map(|(k, v)| (k, Index::build(v)))
        .collect()
}

type IdMaps = (
    BTreeMap<Kind, Vec<usize>>,
    rustc_hash::FxHashMap<String, usize>,
);

/// Feature indices per kind, and each parcel id's first feature; `duplicate(later,
/// first)` is called, in feature order, for each parcel whose id an earlier one has.
fn id_maps(features: &[Feature], mut duplicate: impl FnMut(usize, usize)) -> IdMaps {
    let mut of_kind: BTreeMap<Kind, Vec<usize>> = BTreeMap::new();
    let mut parcel_ids: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
    parcel_ids.reserve(features.iter().filter(|f| f.kind == Kind::Parcel).count());
    for (i, f) in features.iter().enumerate() {
        of_kind.entry(f.kind).or_default().push(i);
        if f.kind == Kind::Parcel {
            if let Some(id) = f.id() {
                match parcel_ids.get(id) {
                    Some(&first) => duplicate(i, first),
                    None => {
                        parcel_ids.insert(id.to_string(), i);
                    }
                }
            }
        }
    }
    (of_kind, parcel_ids)
}

impl Index {
    fn build(entries: Vec<Entry>) -> Index {
        if entries.len() >= WIDE_FROM {
            Index::Wide(RTree::bulk_load_with_params(entries))
        } else {
            Index::Narrow(RTree::bulk_load(entries))
        }
    }

    fn in_envelope<'a>(&'a self, q: &AABB<[f64; 2]>) -> impl Iterator<Item = &'a Entry> + 'a {
        match self {
            Index::Wide(t) => Either::A(t.locate_in_envelope_intersecting(q)),
            Index::Narrow(t) => Either::B(t.locate_in_envelope_intersecting(q)),
        }
    }

    fn at_point<'a>(&'a self, p: [f64; 2]) -> impl Iterator<Item = &'a Entry> + 'a {
        match self {
            Index::Wide(t) => Either::A(t.locate_all_at_point(&p)),
            Index::Narrow(t) => Either::B(t.locate_all_at_point(&p)),
        }
    }

    fn nearest<'a>(&'a self, c: [f64; 2]) -> impl Iterator<Item = (&'a Entry, f64)> + 'a {
        match self {
            Index::Wide(t) => Either::A(t.nearest_neighbor_iter_with_distance_2(&c)),
            Index::Narrow(t) => Either::B(t.nearest_neighbor_iter_with_distance_2(&c)),
        }
    }
}
impl rstar::RTreeParams for Wide {
    const MIN_SIZE: usize = 12;
    const MAX_SIZE: usize = 32;
    const REINSERTION_COUNT: usize = 8;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// One road's width as `site info` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoadWidth {
    /// The road's `name`, else its `id`, else `?`.
    pub road: String,
    pub file: String,
    pub layer: String,
    pub fid: Option<u64>,
    pub width_m: Option<f64>,
    pub source: Option<WidthSource>,
}

/// All planning features of a site, indexed.
pub struct SiteModel {
    /// Site CRS, e.g. `EPSG:4547`.
    pub crs: String,
    /// How the site CRS was chosen; `None` for a model built in code.
    pub crs_choice: Option<CrsChoice>,
    pub features: Vec<Feature>,
    pub layers: Vec<LayerInfo>,
    pub findings: Vec<Finding>,
    /// One R-tree per kind, so that "nearest road" does not walk past parcels.
    by_kind: BTreeMap<Kind, Index>,
    /// Feature indices per kind, and parcels by id (first of duplicates), so counts and
    /// lookups cost nothing on a million-parcel site.
    of_kind: BTreeMap<Kind, Vec<usize>>,
    parcel_ids: rustc_hash::FxHashMap<String, usize>,
}

/// Polygons up to this many vertices use the direct segment-pair distance.
const SMALL: usize = 64;

/// Euclidean distance between two geometries; for small ones a direct segment-pair
/// scan, which avoids geo building search trees on every call. Same result.
pub fn distance(a: &geo::Geometry<f64>, b: &geo::Geometry<f64>) -> f64 {
    match small_lines(a) {
        Some(la) => distance_from_lines(a, &la, b),
        None => Euclidean.distance(a, b),
    }
}

/// The segments of a small geometry (points as zero-length segments), or `None`
/// for other kinds and for more than [`SMALL`] segments.
fn small_lines(g: &geo::Geometry<f64>) -> Option<Vec<geo::Line<f64>>> {
    use geo::{Geometry as G, Line, LinesIter};
    let v: Vec<Line<f64>> = match g {
        G::Point(p) => vec![Line::new(p.0, p.0)],
        G::Line(l) => vec![*l],
        // One past the limit is enough to know (a large footprint's segments were
        // collected whole only to be found too many).
        G::LineString(l) => l.lines().take(SMALL + 1).collect(),
        G::MultiLineString(m) => m.lines_iter().take(SMALL + 1).collect(),
        G::Polygon(p) => p.lines_iter().take(SMALL + 1).collect(),
        G::MultiPolygon(m) => m.lines_iter().take(SMALL + 1).collect(),
        _ => return None,
    };
    (v.len() <= SMALL).then_some(v)
}

/// [`distance`] with `a`'s segments already split out (a query reuses them for
/// every candidate).
fn distance_from_lines(
    a: &geo::Geometry<f64>,
    la: &[geo::Line<f64>],
    b: &geo::Geometry<f64>,
) -> f64 {
    use geo::Intersects;
    let Some(lb) = small_lines(b) else {
        return Euclidean.distance(a, b);
    };
    if a.intersects(b) {
        return 0.0;
    }
    // Disjoint geometries: no segments cross, so the closest pair is an endpoint to a segment.
    let mut best = f64::INFINITY;
    for x in la {
        for y in &lb {
            best = best
                .min(point_segment_d2(x.start, y))
                .min(point_segment_d2(x.end, y))
                .min(point_segment_d2(y.start, x))
                .min(point_segment_d2(y.end, x));
        }
    }
    best.sqrt()
}

/// Whether `b` lies within `sqrt(d2)` of `a` (whose segments are `la`), without
/// allocating: an endpoint-to-segment pair within reach decides it; only when
/// none is can the two still touch, by crossing or containment.
fn near_lines(
    a: &geo::Geometry<f64>,
    la: &[geo::Line<f64>],
    b: &geo::Geometry<f64>,
    d2: f64,
) -> bool {
    use geo::{Geometry as G, Intersects};
    let ring_near = |l: &geo::LineString<f64>| {
        l.0.windows(2).any(|w| {
            let y = geo::Line::new(w[0], w[1]);
            la.iter().any(|x| {
                point_segment_d2(x.start, &y) <= d2
                    || point_segment_d2(x.end, &y) <= d2
                    || point_segment_d2(y.start, x) <= d2
                    || point_segment_d2(y.end, x) <= d2
            })
        })
    };
    let near = match b {
        G::Polygon(p) => ring_near(p.exterior()) || p.interiors().iter().any(ring_near),
        G::MultiPolygon(m) => {
            m.0.iter()
                .any(|p| ring_near(p.exterior()) || p.interiors().iter().any(ring_near))
        }
        G::LineString(l) => ring_near(l),
        G::MultiLineString(m) => m.0.iter().any(ring_near),
        other => return distance_from_lines(a, la, other) <= d2.sqrt(),
    };
    near || a.intersects(b)
}

/// An upper bound on the squared distance from the points `probes` to a
/// geometry whose tight envelope is `lo`–`hi`. The geometry touches every side
/// of its envelope, so it has a point on each side, and that point is no
/// farther from a probe than the side's farther corner.
fn envelope_upper_d2(probes: &[Coord<f64>], lo: [f64; 2], hi: [f64; 2]) -> f64 {
    let corners = [
        [lo[0], lo[1]],
        [hi[0], lo[1]],
        [hi[0], hi[1]],
        [lo[0], hi[1]],
    ];
    let mut best = f64::INFINITY;
    for p in probes {
        let d2: [f64; 4] = corners.map(|c| (c[0] - p.x).powi(2) + (c[1] - p.y).powi(2));
        for side in 0..4 {
            best = best.min(d2[side].max(d2[(side + 1) % 4]));
        }
    }
    best
}

/// Calls `f` on every vertex of `g` until it returns true; true if one did. A
/// direct walk over the coordinate slices: geo's generic `coords_iter` costs more
/// than the arithmetic in the neighbourhood query.
fn any_vertex(g: &geo::Geometry<f64>, mut f: impl FnMut(Coord<f64>) -> bool) -> bool {
    use geo::{CoordsIter, Geometry as G};
    let mut ring = |l: &geo::LineString<f64>| l.0.iter().any(|c| f(*c));
    match g {
        G::Point(p) => ring(&geo::LineString(vec![p.0])),
        G::Line(l) => ring(&geo::LineString(vec![l.start, l.end])),
        G::LineString(l) => ring(l),
        G::MultiLineString(m) => m.0.iter().any(ring),
        G::Polygon(p) => ring(p.exterior()) || p.interiors().iter().any(ring),
        G::MultiPolygon(m) => {
            m.0.iter()
                .any(|p| ring(p.exterior()) || p.interiors().iter().any(&mut ring))
        }
        other => other.coords_iter().any(f),
    }
}

/// Squared distance from a point to a segment.
fn point_segment_d2(p: Coord<f64>, s: &geo::Line<f64>) -> f64 {
    let (dx, dy) = (s.end.x - s.start.x, s.end.y - s.start.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 == 0.0 {
        0.0
    } else {
        (((p.x - s.start.x) * dx + (p.y - s.start.y) * dy) / l2).clamp(0.0, 1.0)
    };
    let (qx, qy) = (s.start.x + t * dx - p.x, s.start.y + t * dy - p.y);
    qx * qx + qy * qy
}

/// A large multipolygon as a query geometry: its polygons with their envelopes.
///
/// Why: a footprint with site entourage (trees, sculptures, lettering) has thousands
/// of small polygons, and every distance from it went through all of them, once per
/// candidate feature (a 30 MB model's road and control-line checks, 0.1 s each). A
/// polygon whose envelope lies farther from a feature than the distance asked about
/// cannot be the nearest, so only the polygons near each feature are measured.
struct Parts<'a> {
    polys: Vec<(geo::Rect<f64>, &'a geo::Polygon<f64>)>,
}

impl<'a> Parts<'a> {
    /// The polygons of `g` when it is a multipolygon of two or more; otherwise `None`.
    /// ([`Query::of`] asks only of a geometry too large for the direct segment scan.)
    fn of(g: &'a geo::Geometry<f64>) -> Option<Parts<'a>> {
        let geo::Geometry::MultiPolygon(m) = g else {
            return None;
        };
        if m.0.len() < 2 {
            return None;
        }
        let polys =
            m.0.iter()
                .map(|p| p.bounding_rect().map(|r| (r, p)))
                .collect::<Option<Vec<_>>>()?;
        Some(Parts { polys })
    }

    /// [`distance`] from the whole multipolygon to `b`, bit for bit, when it is at
    /// most `cap`; otherwise a value above `cap`.
    ///
    /// geo's distance from a multipolygon is the least of its polygons' distances
    /// (`fold` from `f64::MAX` with `min`), and `min` does not depend on order. A
    /// polygon is skipped only when its envelope is farther from `b`'s than `cap` or
    /// than the least so far, so it was not the least or the result exceeds `cap`.
    fn distance_capped(&self, b: &geo::Geometry<f64>, cap: f64) -> f64 {
        let br = b.bounding_rect();
        let mut best = f64::MAX;
        for (r, p) in &self.polys {
            // Lowered by a part in 10^9 and a micrometre, so that it never exceeds a
            // distance geo computes from rounded coordinates (none without a box).
            let gap = br.map_or(0.0, |br| {
                (envelope_gap(r, &br) * (1.0 - 1e-9) - 1e-6).max(0.0)
            });
            if gap > cap || gap > best {
                continue;
            }
            best = best.min(Euclidean.distance(*p, b));
        }
        best
    }
}

/// A query geometry made ready once for all its candidate features: the direct
/// segment scan's segments when it is small, its polygons when it is a large
/// multipolygon, else geo's distance as is. `within`, `within_distance` and
/// `nearest` each chose among the three per candidate.
struct Query<'a> {
    g: &'a geo::Geometry<f64>,
    by: By<'a>,
}

enum By<'a> {
    Lines(Vec<geo::Line<f64>>),
    Parts(Parts<'a>),
    Whole,
}

impl<'a> Query<'a> {
    fn of(g: &'a geo::Geometry<f64>) -> Query<'a> {
        let by = match small_lines(g) {
            Some(la) => By::Lines(la),
            None => Parts::of(g).map_or(By::Whole, By::Parts),
        };
        Query { g, by }
    }

    /// [`distance`] from the query to `b`, bit for bit, when it is at most `cap`;
    /// otherwise a value above `cap` (only the parts are skipped by it).
    fn distance(&self, b: &geo::Geometry<f64>, cap: f64) -> f64 {
        match &self.by {
            By::Lines(la) => distance_from_lines(self.g, la, b),
            By::Parts(parts) => parts.distance_capped(b, cap),
            By::Whole => Euclidean.distance(self.g, b),
        }
    }

    /// Whether `b` lies within `sqrt(d2)` (= `d`) of the query.
    fn within(&self, b: &geo::Geometry<f64>, d: f64, d2: f64) -> bool {
        match &self.by {
            By::Lines(la) => near_lines(self.g, la, b, d2),
            _ => self.distance(b, d) <= d,
        }
    }
}

/// Whether probe `p` is close enough to the envelope `lo`–`hi` that a vertex inside
/// it may lie within `sqrt(d2)` of it. The margin is widened by a part in 10^9 so
/// that rounding never rejects a probe the exact test would accept.
fn probe_near(p: &Coord<f64>, lo: [f64; 2], hi: [f64; 2], d2: f64) -> bool {
    let m = d2.sqrt() * (1.0 + 1e-9) + 1e-9;
    p.x >= lo[0] - m && p.x <= hi[0] + m && p.y >= lo[1] - m && p.y <= hi[1] + m
}

/// Lower bound of the distance between two envelopes.
fn envelope_gap(a: &geo::Rect<f64>, b: &geo::Rect<f64>) -> f64 {
    let dx = (a.min().x - b.max().x).max(b.min().x - a.max().x).max(0.0);
    let dy = (a.min().y - b.max().y).max(b.min().y - a.max().y).max(0.0);
    dx.hypot(dy)
}

impl SiteModel {
    pub fn new(
        crs: String,
        features: Vec<Feature>,
        layers: Vec<LayerInfo>,
        findings: Vec<Finding>,
    ) -> Self {
        Self::new_checked(crs, features, layers, findings, |_, _| None)
    }

    /// [`SiteModel::new`], with `duplicate(later, first)` asked for a finding on each
    /// parcel whose id an earlier parcel has (the loader's duplicate-id check, done in
    /// the same pass as the id map), those findings appended in feature order.
    pub(crate) fn new_checked(
        crs: String,
        features: Vec<Feature>,
        layers: Vec<LayerInfo>,
        mut findings: Vec<Finding>,
        duplicate: impl Fn(&Feature, &Feature) -> Option<Finding> + Sync,
    ) -> Self {
        // The trees on one side, the id maps and the check on the other: both cores for
        // a large site (bulk-loading a million envelopes is the longest part).
        let (by_kind, ((of_kind, parcel_ids), more)) = rayon::join(
            || trees(&features),
            || {
                let mut more = Vec::new();
                let maps = id_maps(&features, |later, first| {
                    more.extend(duplicate(&features[later], &features[first]))
                });
                (maps, more)
            },
        );
        findings.extend(more);
        SiteModel {
            crs,
            crs_choice: None,
            features,
            layers,
            findings,
            by_kind,
            of_kind,
            parcel_ids,
        }
    }

    /// The findings that forbid a review on this package ([`Finding::blocks_review`]).
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> + '_ {
        self.findings.iter().filter(|f| f.blocks_review())
    }

    /// Canonical fields of `f` whose values were refused as out of range
    /// (`value_out_of_range`) and removed from its attributes. A check must not treat
    /// them as absent ("no limit given"), only as unknown.
    pub fn refused_fields(&self, f: &Feature) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|x| {
                x.code == "value_out_of_range"
                    && x.fid == f.fid
                    && x.file == f.file
                    && x.layer.as_deref() == Some(f.layer.as_str())
            })
            .filter_map(|x| x.field.as_deref())
            .collect()
    }

    /// Every road red line with its width and where the width came from (`None` for
    /// both: the road lacks a width and the checks that need it are unverifiable).
    pub fn road_widths(&self) -> Vec<RoadWidth> {
        self.of_kind(Kind::RoadRedLine)
            .map(|f| RoadWidth {
                road: f.label(),
                file: f.file.clone(),
                layer: f.layer.clone(),
                fid: f.fid,
                width_m: f.number("width"),
                source: f.width_source,
            })
            .collect()
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.of_kind.get(&kind).map_or(0, Vec::len)
    }

    /// Every feature of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Feature> + '_ {
        self.of_kind
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.features[i])
    }

    pub fn parcel(&self, id: &str) -> Option<&Feature> {
        self.parcel_ids.get(id).map(|&i| &self.features[i])
    }

    /// The parcel containing a point (site coordinates).
    pub fn parcel_at(&self, x: f64, y: f64) -> Option<&Feature> {
        let p = Point::new(x, y);
        self.by_kind
            .get(&Kind::Parcel)?
            .at_point([x, y])
            .map(|e| &self.features[e.data])
            .find(|f| f.kind == Kind::Parcel && f.geometry.contains(&p))
    }

    /// Features whose geometry lies within `d` metres of `g` (0 = intersecting), with distances.
    pub fn within_distance(&self, g: &geo::Geometry<f64>, d: f64) -> Vec<(&Feature, f64)> {
        let Some(r) = g.bounding_rect() else {
            return Vec::new();
        };
        let q = AABB::from_corners(
            [r.min().x - d, r.min().y - d],
            [r.max().x + d, r.max().y + d],
        );
        let query = Query::of(g);
        let mut out: Vec<(&Feature, f64)> = self
            .by_kind
            .values()
            .flat_map(|t| t.in_envelope(&q))
            .filter(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                let er = geo::Rect::new(Coord { x: lo[0], y: lo[1] }, Coord { x: hi[0], y: hi[1] });
                envelope_gap(&r, &er) <= d
            })
            .map(|e| &self.features[e.data])
            .map(|f| (f, query.distance(&f.geometry, d)))
            .filter(|(_, dist)| *dist <= d)
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }

    /// Features of one kind within `d` metres of `g`, unordered and without distances.
    /// Membership is exact: envelopes reject, a vertex-to-vertex distance accepts, and
    /// only the undecided candidates get an exact distance.
    pub fn within(&self, kind: Kind, g: &geo::Geometry<f64>, d: f64) -> Vec<&Feature> {
        let (Some(tree), Some(r)) = (self.by_kind.get(&kind), g.bounding_rect()) else {
            return Vec::new();
        };
        let mut probes = Vec::new();
        any_vertex(g, |c| {
            probes.push(c);
            false
        });
        if probes.is_empty() {
            return Vec::new();
        }
        let query = Query::of(g);
        let q = AABB::from_corners(
            [r.min().x - d, r.min().y - d],
            [r.max().x + d, r.max().y + d],
        );
        let d2 = d * d;
        let mut local: Vec<Coord<f64>> = Vec::new();
        tree.in_envelope(&q)
            .filter_map(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                let er = geo::Rect::new(Coord { x: lo[0], y: lo[1] }, Coord { x: hi[0], y: hi[1] });
                if envelope_gap(&r, &er) > d {
                    return None;
                }
                // Decided on the envelope alone, without touching the
                // geometry (a cache miss per candidate on a large site).
                let near = envelope_upper_d2(&probes, lo, hi) <= d2;
                Some((&self.features[e.data], near, (lo, hi)))
            })
            .filter(|(f, near, (lo, hi))| {
                if *near {
                    return true;
                }
                // Any vertex pair within d bounds the distance from above; only
                // probes near the feature's envelope can be one end of such a pair.
                local.clear();
                local.extend(probes.iter().filter(|p| probe_near(p, *lo, *hi, d2)));
                any_vertex(&f.geometry, |c| {
                    local
                        .iter()
                        .any(|p| (c.x - p.x).powi(2) + (c.y - p.y).powi(2) <= d2)
                }) || query.within(&f.geometry, d, d2)
            })
            .map(|(f, _, _)| f)
            .collect()
    }

    pub fn intersecting(&self, g: &geo::Geometry<f64>) -> Vec<&Feature> {
        self.within_distance(g, 0.0)
            .into_iter()
            .map(|x| x.0)
            .collect()
    }

    /// Nearest feature of a kind to `g`, with its distance.
    pub fn nearest(&self, kind: Kind, g: &geo::Geometry<f64>) -> Option<(&Feature, f64)> {
        let tree = self.by_kind.get(&kind)?;
        let r = g.bounding_rect()?;
        let c = [(r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0];
        let mut best: Option<(&Feature, f64)> = None;
        let query = Query::of(g);
        // Walk envelopes outward from the centre; stop once envelopes are farther than the best hit.
        let half_diag =
            ((r.max().x - r.min().x).powi(2) + (r.max().y - r.min().y).powi(2)).sqrt() / 2.0;
        for (e, d2) in tree.nearest(c) {
            if let Some((_, bd)) = best {
                if d2.sqrt() - half_diag > bd {
                    break;
                }
            }
            let f = &self.features[e.data];
            // Only a smaller distance replaces the best.
            let dist = query.distance(&f.geometry, best.map_or(f64::INFINITY, |b| b.1));
            if best.is_none_or(|(_, bd)| dist < bd) {
                best = Some((f, dist));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Geometry};

    // Law: both tree flavours answer the same envelope, point and nearest queries.
    #[test]
    fn wide_and_narrow_trees_agree() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 100_000) as f64 / 100.0
        };
        let entries: Vec<Entry> = (0..3000)
            .map(|i| {
                let (a, b) = (rnd(), rnd());
                GeomWithData::new(Rectangle::from_corners([a, b], [a + 3.0, b + 2.0]), i)
            })
            .collect();
        let wide = Index::Wide(RTree::bulk_load_with_params(entries.clone()));
        let narrow = Index::Narrow(RTree::bulk_load(entries));
        for _ in 0..200 {
            let (a, b) = (rnd(), rnd());
            let q = AABB::from_corners([a, b], [a + 40.0, b + 25.0]);
            let ids = |t: &Index| {
                let mut v: Vec<usize> = t.in_envelope(&q).map(|e| e.data).collect();
                v.sort_unstable();
                v
            };
            assert_eq!(ids(&wide), ids(&narrow));
            let at = |t: &Index| {
                let mut v: Vec<usize> = t.at_point([a, b]).map(|e| e.data).collect();
                v.sort_unstable();
                v
            };
            assert_eq!(at(&wide), at(&narrow));
            let d = |t: &Index| t.nearest([a, b]).next().map(|(_, d2)| d2);
            assert_eq!(d(&wide), d(&narrow));
        }
    }

    // Law: the fast distance equals geo's for small polygons, apart or overlapping.
    #[test]
    fn fast_distance_agrees_with_geo() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 10_000) as f64 / 100.0
        };
        for _ in 0..500 {
            let (ax, ay, bx, by) = (rnd(), rnd(), rnd(), rnd());
            let a: Geometry =
                polygon![(x: ax, y: ay), (x: ax + 5.0, y: ay), (x: ax + 2.0, y: ay + 4.0)].into();
            let b: Geometry = polygon![(x: bx, y: by), (x: bx + 3.0, y: by), (x: bx + 3.0, y: by + 3.0), (x: bx, y: by + 3.0)].into();
            let (fast, slow) = (distance(&a, &b), Euclidean.distance(&a, &b));
            assert!((fast - slow).abs() < 1e-9, "{fast} vs {slow}");
            assert_eq!(distance(&b, &a), fast, "symmetric");
        }
        // Nesting: a small square inside a big one (boundaries apart) is at distance 0.
        let big: Geometry =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)]
                .into();
        let small: Geometry =
            polygon![(x: 4.0, y: 4.0), (x: 5.0, y: 4.0), (x: 5.0, y: 5.0), (x: 4.0, y: 5.0)].into();
        assert_eq!(distance(&big, &small), 0.0);
        assert_eq!(distance(&small, &big), 0.0);
        // Inside the hole of a ring is outside the polygon.
        let ring: Geometry = geo::Polygon::new(
            geo::LineString::from(vec![
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ]),
            vec![geo::LineString::from(vec![
                (2.0, 2.0),
                (8.0, 2.0),
                (8.0, 8.0),
                (2.0, 8.0),
                (2.0, 2.0),
            ])],
        )
        .into();
        assert!((distance(&ring, &small) - 2.0).abs() < 1e-12);
        assert_eq!(distance(&ring, &small), Euclidean.distance(&ring, &small));
    }
}
