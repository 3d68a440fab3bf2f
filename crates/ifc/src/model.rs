//! The public data model. Nothing here exposes ifc-lite types.

use crate::error::Diagnostic;
use crate::georef::Georef;
use crate::header::Header;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A property or quantity value, flattened to JSON (numbers already in SI for quantities).
pub type PropertyValue = serde_json::Value;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpatialNode {
    /// STEP entity id (`#id`).
    pub id: u32,
    pub global_id: String,
    pub name: Option<String>,
    pub long_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Site {
    #[serde(flatten)]
    pub node: SpatialNode,
    pub ref_latitude_deg: Option<f64>,
    pub ref_longitude_deg: Option<f64>,
    pub ref_elevation_m: Option<f64>,
    /// The site's own body geometry (terrain 地形), world coordinates, when it has one.
    #[serde(skip)]
    pub terrain: Option<Mesh>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Building {
    #[serde(flatten)]
    pub node: SpatialNode,
    pub elevation_of_ref_height_m: Option<f64>,
    pub elevation_of_terrain_m: Option<f64>,
    /// Pset_BuildingCommon.OccupancyType, when present.
    pub occupancy_type: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Storey {
    #[serde(flatten)]
    pub node: SpatialNode,
    /// IfcBuildingStorey.Elevation in metres (as written; relative to the building's reference height).
    pub elevation_m: Option<f64>,
    /// World z (m) of the storey's ObjectPlacement origin, used when Elevation is unset.
    pub placement_z_m: Option<f64>,
    pub building: Option<String>,
}

impl Storey {
    /// The storey's level: Elevation, else the z of its placement.
    pub fn level_m(&self) -> Option<f64> {
        self.elevation_m.or(self.placement_z_m)
    }
}

/// Where an area figure came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AreaSource {
    /// Quantity set (`Qto_SpaceBaseQuantities`, `BaseQuantities`, `GSA Space Areas`, ...).
    Quantity,
    /// Property set value such as Pset_SpaceCommon.NetPlannableArea (IFC2x3).
    Property,
    /// Computed from the space's projected geometry.
    Geometry,
    /// Computed from the outline of the storey's projected building elements.
    StoreyOutline,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Area {
    pub value_m2: f64,
    pub source: AreaSource,
    /// e.g. `Qto_SpaceBaseQuantities.NetFloorArea`.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Space {
    #[serde(flatten)]
    pub node: SpatialNode,
    pub storey: Option<String>,
    /// Use / occupancy as the model states it, and where it was read.
    pub usage: Option<String>,
    pub usage_source: Option<String>,
    pub net_floor_area: Option<Area>,
    pub gross_floor_area: Option<Area>,
}

/// A triangle mesh in world coordinates (metres). Vertices are stored as f32
/// offsets from `origin` so that georeferenced coordinates keep their precision.
///
/// An occurrence of a mapped family (IfcMappedItem 映射项) shares its vertices and
/// triangles with every other occurrence and carries its own `linear` part: vertex
/// `i` is `origin + linear · p_i`. A family of 7,400 triangles placed 4,700 times is
/// then one copy, not 35 million triangles (issue 14). Read vertices through
/// [`Mesh::vertex`], [`Mesh::triangles`] or [`Mesh::bbox`], which apply it.
#[derive(Debug, Clone, Default)]
pub struct Mesh {
    pub origin: [f64; 3],
    positions: Arc<[f32]>,
    indices: Arc<[u32]>,
    /// An occurrence's own part; `None` for a mesh of its own (the identity).
    placed: Option<Placed>,
    /// The facts' plan outlines, made once for every pass that needs them and let go
    /// after the load (`forget_plan`). The vertices never change after construction,
    /// so they cannot go stale.
    plans: Plans,
}

/// What [`Mesh::plan`] and [`Mesh::plan_above`] keep.
#[derive(Debug, Clone, Default)]
struct Plans {
    /// The whole mesh's (footprint, ground cut, storeys, parts, roof).
    whole: std::sync::OnceLock<Option<crate::footprint::Outline>>,
    /// The part above one level (by its bits): the ground cut's, which the footprint,
    /// the ground-contact band and the parts all ask of every element standing on the
    /// ground.
    above: std::sync::OnceLock<(u64, Option<crate::footprint::Outline>)>,
}

/// What an occurrence of a shared family adds to the family's vertices.
#[derive(Debug, Clone)]
struct Placed {
    /// Row-major 3×3 applied to each offset.
    linear: [[f64; 3]; 3],
    /// [`Shared::corners`].
    corners: Arc<[u32]>,
}

/// Vertices and triangles that several [`Mesh`]es share.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    positions: Arc<[f32]>,
    indices: Arc<[u32]>,
    /// The vertices triangles reference, each distinct position once: a placed
    /// mesh's box is theirs, read in a fraction of the time of every corner.
    corners: Arc<[u32]>,
}

impl Shared {
    pub fn new(positions: &[f32], indices: &[u32]) -> Shared {
        let n = positions.len() / 3;
        let bits = |i: u32| {
            let p = &positions[3 * i as usize..3 * i as usize + 3];
            [p[0].to_bits(), p[1].to_bits(), p[2].to_bits()]
        };
        let mut corners: Vec<u32> = indices
            .chunks_exact(3)
            .filter(|t| t.iter().all(|&k| (k as usize) < n))
            .flatten()
            .copied()
            .collect();
        corners.sort_unstable_by_key(|&i| bits(i));
        corners.dedup_by_key(|i| bits(*i));
        Shared {
            positions: positions.into(),
            indices: indices.into(),
            corners: corners.into(),
        }
    }
}

impl Mesh {
    /// A mesh of `indices` into `positions` (f32 offsets from `origin`, metres).
    pub fn new(origin: [f64; 3], positions: Vec<f32>, indices: Vec<u32>) -> Mesh {
        Mesh {
            origin,
            positions: positions.into(),
            indices: indices.into(),
            placed: None,
            plans: Plans::default(),
        }
    }

    /// An occurrence of `shared`: vertex `i` is `origin + linear · p_i`.
    pub fn placed(shared: &Shared, origin: [f64; 3], linear: [[f64; 3]; 3]) -> Mesh {
        Mesh {
            origin,
            positions: shared.positions.clone(),
            indices: shared.indices.clone(),
            placed: Some(Placed {
                linear,
                corners: shared.corners.clone(),
            }),
            plans: Plans::default(),
        }
    }

    /// The plan outline of the whole mesh, made by `make` the first time only.
    pub(crate) fn plan(
        &self,
        make: impl FnOnce(&Mesh) -> Option<crate::footprint::Outline>,
    ) -> Option<crate::footprint::Outline> {
        self.plans.whole.get_or_init(|| make(self)).clone()
    }

    /// The plan outline of the part above `z`, made by `make` the first time a level
    /// is asked; any other level is made every time it is asked.
    pub(crate) fn plan_above(
        &self,
        z: f64,
        make: impl FnOnce(&Mesh) -> Option<crate::footprint::Outline>,
    ) -> Option<crate::footprint::Outline> {
        let key = z.to_bits();
        if let Some((k, made)) = self.plans.above.get() {
            return if *k == key { made.clone() } else { make(self) };
        }
        let made = make(self);
        // Another worker may have made the same level meanwhile: the same outline.
        let _ = self.plans.above.set((key, made.clone()));
        made
    }

    /// Lets the memos of [`Mesh::plan`] and [`Mesh::plan_above`] go.
    pub(crate) fn forget_plan(&mut self) {
        self.plans = Plans::default();
    }

    /// Whether this mesh shares its vertices with other occurrences of a family.
    pub fn is_shared(&self) -> bool {
        self.placed.is_some()
    }

    /// The f32 offsets as stored, before `linear`: for tests and size figures.
    pub fn raw_positions(&self) -> &[f32] {
        &self.positions
    }

    /// Triangles as vertex index triples (three per triangle).
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    pub fn vertex(&self, i: usize) -> [f64; 3] {
        let p = &self.positions[3 * i..3 * i + 3];
        let p = [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])];
        let o = self.origin;
        match self.placed.as_ref().map(|p| &p.linear) {
            None => [o[0] + p[0], o[1] + p[1], o[2] + p[2]],
            Some(l) => {
                std::array::from_fn(|r| o[r] + (l[r][0] * p[0] + l[r][1] * p[1] + l[r][2] * p[2]))
            }
        }
    }
    pub fn vertex_count(&self) -> usize {
        self.positions.len() / 3
    }
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }
    /// Triangles as world-coordinate corner triples; skips out-of-range indices.
    pub fn triangles(&self) -> impl Iterator<Item = [[f64; 3]; 3]> + '_ {
        let n = self.vertex_count();
        self.indices.chunks_exact(3).filter_map(move |t| {
            let (a, b, c) = (t[0] as usize, t[1] as usize, t[2] as usize);
            (a < n && b < n && c < n).then(|| [self.vertex(a), self.vertex(b), self.vertex(c)])
        })
    }
    /// Bounding box over vertices referenced by triangles.
    pub fn bbox(&self) -> Option<BBox> {
        if let Some(p) = &self.placed {
            return BBox::around(p.corners.iter().map(|&i| self.vertex(i as usize)));
        }
        // Extremes of the f32 offsets, then the origin added once: f64 rounding is
        // monotonic, so this is bit for bit the box of the f64 vertices, without
        // building three of them per triangle.
        let n = self.vertex_count();
        let corners = &self.indices[..self.indices.len() / 3 * 3];
        if corners.iter().all(|&i| (i as usize) < n) {
            return self.bbox_of_corners(corners);
        }
        let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        let mut any = false;
        for t in self.indices.chunks_exact(3) {
            let (a, b, c) = (t[0] as usize, t[1] as usize, t[2] as usize);
            if !(a < n && b < n && c < n) {
                continue;
            }
            any = true;
            for v in [a, b, c] {
                let p = &self.positions[3 * v..3 * v + 3];
                for k in 0..3 {
                    lo[k] = lo[k].min(p[k]);
                    hi[k] = hi[k].max(p[k]);
                }
            }
        }
        any.then(|| self.offset_box(lo, hi))
    }

    /// [`Mesh::bbox`] when every corner is a vertex: the extremes kept in four
    /// running boxes over the corners in turn, so that each min and max does not
    /// wait for the one before (a single running box was 11 % of loading 8,000
    /// pipes). Min and max give the same extremes in any order.
    fn bbox_of_corners(&self, corners: &[u32]) -> Option<BBox> {
        if corners.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = ([[f32::INFINITY; 3]; 4], [[f32::NEG_INFINITY; 3]; 4]);
        let mut take = |l: usize, i: u32| {
            let p = &self.positions[3 * i as usize..3 * i as usize + 3];
            for k in 0..3 {
                lo[l][k] = lo[l][k].min(p[k]);
                hi[l][k] = hi[l][k].max(p[k]);
            }
        };
        let mut fours = corners.chunks_exact(4);
        for c in &mut fours {
            for (l, &i) in c.iter().enumerate() {
                take(l, i);
            }
        }
        for &i in fours.remainder() {
            take(0, i);
        }
        let lo = std::array::from_fn(|k| lo.iter().map(|b| b[k]).fold(f32::INFINITY, f32::min));
        let hi = std::array::from_fn(|k| hi.iter().map(|b| b[k]).fold(f32::NEG_INFINITY, f32::max));
        Some(self.offset_box(lo, hi))
    }

    /// The box of f32 offsets `lo`..`hi` from the origin.
    fn offset_box(&self, lo: [f32; 3], hi: [f32; 3]) -> BBox {
        BBox {
            min: std::array::from_fn(|k| self.origin[k] + f64::from(lo[k])),
            max: std::array::from_fn(|k| self.origin[k] + f64::from(hi[k])),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct BBox {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl BBox {
    /// The box of `points`; `None` without any.
    pub fn around(points: impl IntoIterator<Item = [f64; 3]>) -> Option<BBox> {
        let mut b: Option<BBox> = None;
        for v in points {
            match &mut b {
                Some(b) => b.include(v),
                None => b = Some(BBox { min: v, max: v }),
            }
        }
        b
    }
    pub fn include(&mut self, v: [f64; 3]) {
        for (k, x) in v.into_iter().enumerate() {
            self.min[k] = self.min[k].min(x);
            self.max[k] = self.max[k].max(x);
        }
    }
    pub fn union(&mut self, o: &BBox) {
        self.include(o.min);
        self.include(o.max);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Element {
    pub id: u32,
    pub global_id: String,
    /// IFC class in schema spelling, e.g. `IfcWallStandardCase`.
    pub ifc_class: String,
    pub predefined_type: Option<String>,
    pub object_type: Option<String>,
    pub name: Option<String>,
    /// GlobalId of the containing storey, found through containment, space or aggregation.
    pub storey: Option<String>,
    /// GlobalId of the containing building.
    pub building: Option<String>,
    /// IFC class of the element this one is a part of (IfcRelAggregates), e.g. `IfcRoof`.
    pub part_of: Option<String>,
    /// `Pset.Property` -> value; occurrence values override type values.
    pub properties: Properties,
    #[serde(skip)]
    pub mesh: Option<Mesh>,
    /// The box of `mesh`'s triangles (`Mesh::bbox`), `None` without one.
    pub bbox: Option<BBox>,
    /// Why the element has a body representation and no mesh (the kernel's error, or
    /// that it gave no triangles), or why its mesh lacks part of its body (a mapped
    /// family one of whose items did not mesh); `None` when whole or without a body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_error: Option<String>,
    /// In the spatial structure: contained in a site, building, storey or space itself
    /// or through the whole it is part of, the element it is nested in or the opening
    /// it fills. Exporters contain every element; one that is not is in no building.
    pub contained: bool,
}

/// A building element (facts' fabric) whose geometry could not be read: its body did
/// not mesh, or its entity did not decode. Every fact made from geometry (footprint,
/// heights, storey outlines) lacks it, so none of them can be trusted to pass a check.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MissingGeometry {
    /// STEP id.
    pub id: u32,
    /// Empty when the entity itself did not decode.
    pub global_id: String,
    pub ifc_class: String,
    pub name: Option<String>,
    pub reason: String,
}

/// An element's properties, `Pset.Property` → value in key order, serialised as a map.
///
/// Each entry is shared: a set that several objects name (a type's sets, a shared set)
/// is read once, and each of its objects holds its entries by reference. Revit writes
/// a type's sets once for all its occurrences, and copying their keys and values into
/// every element's own map was a third of the property side of a load (issue 14).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties(Vec<Arc<(String, PropertyValue)>>);

impl Properties {
    /// The entries, in the order written, each key's last value kept (an occurrence's
    /// sets are written after its type's, so its values override): one sort, not a
    /// tree insert each (a tenth of the property side on Revit models).
    pub fn last_wins(mut entries: Vec<Arc<(String, PropertyValue)>>) -> Properties {
        entries.reverse();
        // Stable: of equal keys, the one written last comes first, and is the one kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| later.0 == kept.0);
        Properties(entries)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &PropertyValue)> {
        self.0.iter().map(|e| (&e.0, &e.1))
    }

    pub fn get(&self, key: &str) -> Option<&PropertyValue> {
        let i = self.0.binary_search_by(|e| e.0.as_str().cmp(key)).ok()?;
        Some(&self.0[i].1)
    }
}

impl FromIterator<(String, PropertyValue)> for Properties {
    /// Later pairs of a key override earlier ones.
    fn from_iter<I: IntoIterator<Item = (String, PropertyValue)>>(pairs: I) -> Properties {
        Properties::last_wins(pairs.into_iter().map(Arc::new).collect())
    }
}

impl Serialize for Properties {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for e in &self.0 {
            map.serialize_entry(&e.0, &e.1)?;
        }
        map.end()
    }
}

/// A footprint polygon set in model XY (metres) as GeoJSON MultiPolygon coordinates:
/// polygons -> rings -> [x, y]; first ring outer (counter-clockwise), the rest holes.
pub type Rings = Vec<Vec<Vec<[f64; 2]>>>;

#[derive(Debug, Clone, Serialize)]
pub struct StoreyArea {
    pub global_id: String,
    pub name: Option<String>,
    /// GlobalId of the storey's IfcBuilding.
    pub building: Option<String>,
    pub elevation_m: Option<f64>,
    pub above_ground: bool,
    /// A rooftop stair/lift/tank room within ¼ of the roof (GB 50352-2019 4.5.2): not
    /// counted in the storeys above ground (GB 50016-2014 A.0.2), its area still counted.
    pub rooftop_room: bool,
    /// Top of the storey's roof slabs (structural roof, parapets left out), model z.
    pub roof_top_m: Option<f64>,
    pub gfa_m2: Option<f64>,
    pub source: Option<AreaSource>,
    /// Sum of the storey's space gross (else net) areas, for comparison.
    pub spaces_m2: Option<f64>,
    /// Area counted for balconies 阳台 outside the main structure: half their
    /// projection (GB/T 50353-2013 3.0.21); included in `gfa_m2`.
    pub balconies_m2: f64,
    /// Area counted for canopies 雨篷: half the projection of those reaching 2.10 m
    /// or more from the outer wall, none for shallower ones (3.0.16); included in `gfa_m2`.
    pub canopies_m2: f64,
}

/// An above-ground part of a building with its own height: the podium 裙房 and the
/// tower 塔楼, a stepped tower's steps. Height-dependent rules (road setback tables,
/// spacing, fire separation) measure each part against its own height.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// GlobalId of the IfcBuilding the part belongs to.
    pub building: Option<String>,
    /// Plan outline of the part (model XY), GeoJSON MultiPolygon coordinates.
    pub outline: Rings,
    pub area_m2: f64,
    /// Height of the part above the ground, capped at its building's planning height.
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HeightMethod {
    /// Flat roof: ground to the top of the parapet or roof (GB 50352-2019 4.5.2).
    FlatRoof,
    /// Pitched roof: ground to the mean of eave and ridge (GB 50352-2019 4.5.2).
    PitchedRoof,
    /// The model does not identify its roof: the highest point is reported instead.
    HighestPoint,
}

#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// Projection of everything more than 1 cm above the ground: cantilevers, balconies
    /// and canopies included (their outer edge governs setbacks).
    pub footprint: Rings,
    pub footprint_area_m2: f64,
    /// 基底面积 for coverage: the outline of what stands on the ground, i.e. the
    /// projection of geometry between 1 cm and 2.2 m above it.
    pub base: Rings,
    pub base_area_m2: f64,
    /// Above-ground parts by height (see [`Part`]), highest first.
    pub parts: Vec<Part>,
    /// How the footprints were cut at the ground (elements flush with it, split by it).
    pub footprint_notes: Vec<String>,
    /// Outline of below-ground geometry (basements), for red-line containment.
    pub footprint_below: Rings,
    pub footprint_below_area_m2: f64,
    /// Model z (m) of the outdoor ground the height is measured from.
    pub ground_m: Option<f64>,
    pub ground_source: Option<String>,
    /// Planning height above `ground_m`.
    pub height_m: Option<f64>,
    pub height_method: Option<HeightMethod>,
    pub height_notes: Vec<String>,
    /// Highest point of building geometry, model z in metres.
    pub highest_point_m: Option<f64>,
    pub storeys_above: usize,
    pub storeys_below: usize,
    pub gfa_m2: Option<f64>,
    pub gfa_by_storey: Vec<StoreyArea>,
    /// Space area by use (gross where known, else net), from IfcSpace.
    pub gfa_by_use: BTreeMap<String, f64>,
    /// Building elements whose geometry is missing from every fact above.
    pub missing_geometry: Vec<MissingGeometry>,
}

/// Everything zhishen reads from one IFC file.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub file: String,
    pub header: Header,
    /// Normalised schema family: `IFC2X3`, `IFC4` or `IFC4X3`.
    pub schema: String,
    pub length_unit_m: f64,
    pub area_unit_m2: f64,
    pub project: Option<SpatialNode>,
    pub sites: Vec<Site>,
    pub buildings: Vec<Building>,
    /// Sorted by elevation (storeys without one last).
    pub storeys: Vec<Storey>,
    pub spaces: Vec<Space>,
    pub elements: Vec<Element>,
    /// Instance counts by IFC class over every IfcProduct in the file.
    pub element_counts: BTreeMap<String, usize>,
    pub georef: Georef,
    /// World AABB over element geometry except IfcSite, IfcSpace, IfcOpeningElement.
    pub bbox_world_m: Option<BBox>,
    pub facts: Facts,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where one load's time went (issue 14), for `zhishen bench-load` and profiling. The
/// serial stages (`scan_s` … `facts_s`) add up to `total_s`; `mesh_s` and `psets_s` are
/// the two sides of `join_s`, which run at the same time on the same cores, so each is
/// that side's own start-to-finish time and their sum may exceed `join_s`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LoadTimings {
    /// Pre-scan (records, ids, errors) with the decoder's entity index built beside it
    /// (`rayon::join`), representation-label fixes, header, type table.
    pub scan_s: f64,
    /// The cross-check of the decoder's entity index against the pre-scan. Decoding
    /// itself is lazy: entities are decoded in the stages that read them.
    pub decode_s: f64,
    /// Units, relationships (aggregation, containment, properties, types), spatial
    /// structure, spaces, georeferencing and the point pass before meshing.
    pub relationships_s: f64,
    /// Wall time of meshing and element property reading together (`rayon::join`).
    pub join_s: f64,
    /// The meshing side of the join, start to finish.
    pub mesh_s: f64,
    /// The element property side of the join, start to finish.
    pub psets_s: f64,
    /// Meshes sorted to elements, bounding box, space areas from geometry, elements.
    pub elements_s: f64,
    /// Building facts: footprint union, ground, heights, parts, GFA.
    pub facts_s: f64,
    pub total_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_made_once_until_forgotten() {
        let mut m = Mesh::new([0.0; 3], vec![0.0; 9], vec![0, 1, 2]);
        let calls = std::cell::Cell::new(0);
        let make = |_: &Mesh| {
            calls.set(calls.get() + 1);
            None
        };
        assert!(m.plan(make).is_none());
        assert!(m.plan(make).is_none());
        assert_eq!(calls.get(), 1);
        // A clone keeps what was made; forgetting lets it be made again.
        assert!(m.clone().plan(make).is_none());
        assert_eq!(calls.get(), 1);
        m.forget_plan();
        m.plan(make);
        assert_eq!(calls.get(), 2);
        // Above a level: the first level asked is kept, any other is made each time.
        calls.set(0);
        m.plan_above(1.5, make);
        m.plan_above(1.5, make);
        assert_eq!(calls.get(), 1);
        m.plan_above(2.5, make);
        m.plan_above(2.5, make);
        assert_eq!(calls.get(), 3);
        m.plan_above(1.5, make);
        assert_eq!(calls.get(), 3);
        m.forget_plan();
        m.plan_above(2.5, make);
        m.plan_above(2.5, make);
        assert_eq!(calls.get(), 4);
    }

    proptest::proptest! {
        /// Properties are the map a BTreeMap makes of the same pairs, later values of a
        /// key winning: the same entries, the same lookups, the same JSON.
        #[test]
        fn properties_are_a_last_wins_map(
            pairs in proptest::collection::vec(("[a-c]\\.[a-c]{0,2}", 0i64..5), 0..30),
        ) {
            let pairs: Vec<(String, PropertyValue)> =
                pairs.into_iter().map(|(k, v)| (k, serde_json::json!(v))).collect();
            let props: Properties = pairs.iter().cloned().collect();
            let map: BTreeMap<String, PropertyValue> = pairs.into_iter().collect();
            proptest::prop_assert_eq!(props.len(), map.len());
            let listed: Vec<(&String, &PropertyValue)> = props.iter().collect();
            proptest::prop_assert_eq!(listed, map.iter().collect::<Vec<_>>());
            for k in ["a.a", "b.", "c.cc", "d.a"] {
                proptest::prop_assert_eq!(props.get(k), map.get(k));
            }
            proptest::prop_assert_eq!(
                serde_json::to_string(&props).unwrap(),
                serde_json::to_string(&map).unwrap()
            );
        }

        /// The box from the f32 extremes plus the origin is bit for bit the box of
        /// the f64 vertices of the valid triangles (out-of-range triangles skipped).
        #[test]
        fn bbox_is_the_box_of_the_triangle_vertices(
            origin in proptest::array::uniform3(-6.0e6f64..6.0e6),
            positions in proptest::collection::vec(-1.0e4f32..1.0e4, 3..60),
            indices in proptest::collection::vec(0u32..25, 0..45),
        ) {
            let m = Mesh::new(origin, positions, indices);
            proptest::prop_assert_eq!(m.bbox(), BBox::around(m.triangles().flatten()));
        }

        /// The same when every corner is a vertex (the four running boxes).
        #[test]
        fn bbox_of_valid_corners_is_the_box_of_the_triangle_vertices(
            origin in proptest::array::uniform3(-6.0e6f64..6.0e6),
            positions in proptest::collection::vec(-1.0e4f32..1.0e4, 3..300),
            picks in proptest::collection::vec(0u32..10_000, 0..200),
        ) {
            let n = (positions.len() / 3) as u32;
            let indices = picks.iter().map(|i| i % n).collect();
            let m = Mesh::new(origin, positions, indices);
            proptest::prop_assert_eq!(m.bbox(), BBox::around(m.triangles().flatten()));
        }

        /// A placed mesh's box, read from its distinct corners, is bit for bit the
        /// box of its triangles' vertices.
        #[test]
        fn placed_bbox_is_the_box_of_the_triangle_vertices(
            origin in proptest::array::uniform3(-6.0e6f64..6.0e6),
            linear in proptest::array::uniform3(proptest::array::uniform3(-2.0f64..2.0)),
            positions in proptest::collection::vec(-10i8..10, 3..60),
            indices in proptest::collection::vec(0u32..25, 0..45),
        ) {
            // Small integers, so that positions repeat.
            let positions: Vec<f32> = positions.into_iter().map(f32::from).collect();
            let m = Mesh::placed(&Shared::new(&positions, &indices), origin, linear);
            proptest::prop_assert_eq!(m.bbox(), BBox::around(m.triangles().flatten()));
        }
    }
}
