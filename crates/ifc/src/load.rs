//! Reads a whole file into a [`Model`]. The only module that touches ifc-lite.
//!
//! [`load_bytes_with`] runs one function per stage (scan, decode, structure, meshing ∥
//! properties, elements, facts); each reports its progress and checks for cancellation
//! through [`Control`], so a caller can show a bar and stop a long load.

use crate::error::{push_listed, Diagnostic, IfcError};
use crate::facts;
use crate::footprint::Union;
use crate::georef::{self, Crs, Georef, RawMapConversion};
use crate::header::{self, Header};
use crate::model::*;
use crate::progress::{Control, LoadOptions, Meter, Stage};
use crate::step;
use ifc_lite_core::{
    AttributeValue, ColumnarEntityIndex, DecodedEntity, DenseEntityIndex, EntityDecoder,
    EntityIndex, IfcType,
};
use ifc_lite_geometry::{GeometryRouter, RouterConfig};
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

mod extrude;
mod instance;
mod property;
mod tess;

/// Reads and interprets an IFC file from disk.
pub fn load_path(path: &Path) -> Result<Model, IfcError> {
    load_path_with(path, &LoadOptions::default())
}

/// [`load_path`] with progress and cancellation ([`LoadOptions`]).
pub fn load_path_with(path: &Path, opts: &LoadOptions) -> Result<Model, IfcError> {
    let bytes = crate::file::read(path).map_err(|source| IfcError::Io {
        path: path.display().to_string(),
        source,
    })?;
    load_bytes_with(&bytes, &path.display().to_string(), opts).map(|(m, _)| m)
}

/// Reads and interprets IFC-SPF bytes. `file` names the input in messages.
pub fn load_bytes(bytes: &[u8], file: &str) -> Result<Model, IfcError> {
    load_bytes_timed(bytes, file).map(|(m, _)| m)
}

/// [`load_bytes`], also saying where the time went. The model is the same.
pub fn load_bytes_timed(bytes: &[u8], file: &str) -> Result<(Model, LoadTimings), IfcError> {
    load_bytes_with(bytes, file, &LoadOptions::default())
}

/// Stage clock: each lap adds the time since the previous lap to one stage.
struct Laps {
    start: Instant,
    last: Instant,
}

impl Laps {
    fn new() -> Laps {
        let now = Instant::now();
        Laps {
            start: now,
            last: now,
        }
    }
    fn lap(&mut self, stage: &mut f64, name: &str) {
        let now = Instant::now();
        *stage += (now - self.last).as_secs_f64();
        self.last = now;
        if tracing::enabled!(tracing::Level::DEBUG) {
            // Where the load's memory goes (`ZHISHEN_LOG=zhishen_ifc=debug`).
            let memory = crate::progress::process_memory();
            tracing::debug!(elapsed = ?(now - self.start), ?memory, "{name}");
        }
    }
}

/// Runs `f` and returns its result with its own start-to-finish seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

/// [`load_bytes_timed`] reporting progress to `opts.progress` and stopping with
/// [`IfcError::Cancelled`] once `opts.cancel` is cancelled (nothing of it is kept).
/// The model is the same with or without them.
pub fn load_bytes_with(
    bytes: &[u8],
    file: &str,
    opts: &LoadOptions,
) -> Result<(Model, LoadTimings), IfcError> {
    let ctl = Control::new(file, opts);
    let mut laps = Laps::new();
    let mut t = LoadTimings::default();
    let (scan, owned) = scan_stage(bytes, file, &ctl)?;
    let data: &[u8] = owned.as_deref().unwrap_or(bytes);
    let step::Scan {
        header: header_span,
        records,
        kinds,
        diagnostics: mut diags,
        ..
    } = scan;
    let header = header::parse(&data[header_span]);
    let schema = normalise_schema(&header, &mut diags);
    let graph = Graph::of(&records, &kinds);
    laps.lap(&mut t.scan_s, "scanned");
    let (index, rd) = decode_stage(data, &records, &ctl)?;
    laps.lap(&mut t.decode_s, "decoder index");
    let mut ld = Load {
        data,
        file,
        ctl: &ctl,
        records,
        kinds,
        graph,
        index,
        rd,
        diags,
    };
    let relationships = ctl.step(Stage::Relationships)?;
    let (mut st, rels) = ld.structure()?;
    let mut products = ld.products(&st, &rels)?;
    // The pre-scan's records (24 bytes each, 48 MB on the 100 MB corpus) are not read
    // after the point pass: let them go before the meshes are made.
    ld.records = Vec::new();
    ld.kinds = step::Kinds::default();
    relationships.finish()?;
    laps.lap(&mut t.relationships_s, "read structure");
    let (meshes, element_props) = ld.mesh_and_props(&products, &rels, &mut t)?;
    laps.lap(&mut t.join_s, "meshed and properties read");
    let elements_step = ctl.step(Stage::Elements)?;
    let (elements, bbox_world_m, undecoded) =
        ld.elements(&mut st, &mut products, meshes, element_props);
    elements_step.finish()?;
    laps.lap(&mut t.elements_s, "elements");
    let facts_step = ctl.step(Stage::Facts)?;
    let facts = facts::compute(
        &facts::Structure {
            storeys: &st.storeys,
            spaces: &products.spaces,
            elements: &elements,
            buildings: &st.buildings,
            sites: &st.sites,
            undecoded: &undecoded,
        },
        &mut ld.diags,
    );
    facts_step.finish()?;
    // The facts' outline memos are not needed after them.
    let mut elements = elements;
    for m in elements.iter_mut().filter_map(|e| e.mesh.as_mut()) {
        m.forget_plan();
    }
    laps.lap(&mut t.facts_s, "facts");
    t.total_s = laps.start.elapsed().as_secs_f64();
    let model = Model {
        file: file.to_string(),
        header,
        schema,
        length_unit_m: rels.units.length,
        area_unit_m2: rels.units.area,
        project: st.project,
        sites: st.sites,
        buildings: st.buildings,
        storeys: st.storeys,
        spaces: products.spaces,
        elements,
        element_counts: products.element_counts,
        georef: st.georef,
        bbox_world_m,
        facts,
        diagnostics: ld.diags,
    };
    Ok((model, t))
}

/// The pre-scan (reporting bytes scanned) and the Body representation-label fix; the
/// bytes to decode when they differ from the input (renumbered or relabelled).
fn scan_stage(
    bytes: &[u8],
    file: &str,
    ctl: &Control,
) -> Result<(step::Scan, Option<Vec<u8>>), IfcError> {
    let meter = ctl.stage(Stage::Scan, bytes.len() as u64)?;
    let tick = |at: usize| meter.reach(at as u64);
    let mut scan = step::scan_with(bytes, file, &tick)?;
    let mut owned = scan.renumbered.take();
    if let Some((fixed, d)) = fix_representation_types(owned.as_deref().unwrap_or(bytes), &scan) {
        ctl.check()?;
        let mut again = step::scan(&fixed, file)?;
        scan.diagnostics.extend(d);
        again.diagnostics = std::mem::take(&mut scan.diagnostics);
        scan = again;
        owned = Some(fixed);
    }
    meter.finish()?;
    Ok((scan, owned))
}

/// The decoder's index, made from the pre-scan's records (reporting records).
///
/// The pre-scan already knows every record's span, so the decoder is given them
/// rather than scanning the bytes a second time with its own tokenizer (which cost
/// twice the pre-scan). Both then read each record the same way by construction; a
/// string swallowing what look like records is reported by the pre-scan.
fn decode_stage<'d>(
    data: &'d [u8],
    records: &[step::Record],
    ctl: &Control,
) -> Result<(Index, Reader<'d>), IfcError> {
    let meter = ctl.stage(Stage::Decode, records.len() as u64)?;
    let index = Index::of(data, records);
    let rd = Reader::new(data, &index);
    meter.finish()?;
    Ok((index, rd))
}

/// The decoder's entity index. Ids numbered about densely from 1 (as exporters write
/// them) get a direct-address table: one lookup per reference instead of a binary
/// search, which was the top leaf of meshing real Revit elements (13 % of the mesh
/// side of the tiled Duplex). Otherwise compact columns (12 bytes a record, against
/// about 40 for a hash map) while offsets fit in 32 bits, a hash map beyond 4 GiB.
#[derive(Clone)]
enum Index {
    Dense(Arc<DenseEntityIndex>),
    Columns(Arc<ColumnarEntityIndex>),
    Map(Arc<EntityIndex>),
}

impl Index {
    fn of(data: &[u8], records: &[step::Record]) -> Index {
        let narrow = |r: &step::Record| {
            Some((
                u32::try_from(r.id).ok()?,
                u32::try_from(r.start).ok()?,
                u32::try_from(r.end - r.start).ok()?,
            ))
        };
        if u32::try_from(data.len()).is_ok() {
            let mut rows: Vec<(u32, u32, u32)> = records.iter().filter_map(narrow).collect();
            if !rows.is_sorted_by(|a, b| a.0 < b.0) {
                // The pre-scan refuses duplicate ids, so this only orders them.
                rows.sort_unstable_by_key(|r| r.0);
            }
            let (ids, (starts, lengths)): (Vec<u32>, (Vec<u32>, Vec<u32>)) =
                rows.into_iter().map(|(i, s, l)| (i, (s, l))).unzip();
            // `None` when the ids are too sparse for a table no larger than the columns.
            if let Some(d) = DenseEntityIndex::try_from_columns(&ids, &starts, &lengths) {
                return Index::Dense(Arc::new(d));
            }
            if let Ok(c) = ColumnarEntityIndex::from_owned_columns(ids, starts, lengths) {
                return Index::Columns(Arc::new(c));
            }
        }
        let map: EntityIndex = records
            .iter()
            .filter_map(|r| Some((u32::try_from(r.id).ok()?, (r.start, r.end))))
            .collect();
        Index::Map(Arc::new(map))
    }

    /// The byte span of record `id`.
    fn span(&self, id: u32) -> Option<(usize, usize)> {
        match self {
            Index::Dense(d) => d.lookup(id),
            Index::Columns(c) => c.lookup(id),
            Index::Map(m) => m.get(&id).copied(),
        }
    }

    fn decoder<'d>(&self, data: &'d [u8]) -> EntityDecoder<'d> {
        match self {
            Index::Dense(d) => {
                let mut dec = EntityDecoder::new(data);
                dec.set_dense_index(d.clone());
                dec
            }
            Index::Columns(c) => EntityDecoder::with_arc_columnar_index(data, c.clone()),
            Index::Map(m) => EntityDecoder::with_arc_index(data, m.clone()),
        }
    }
}

/// Type names from the pre-scan, and the aggregation and containment trees.
struct Graph {
    by_type: HashMap<String, Vec<u32>>,
    type_of: TypeOf,
    /// Aggregated part → whole (IfcRelAggregates).
    parent: HashMap<u32, u32>,
    /// Contained element → spatial structure (IfcRelContainedInSpatialStructure).
    container: HashMap<u32, u32>,
    /// A filling → its opening, an opening → the element it voids, a nested part → its
    /// whole (IfcRelFillsElement, IfcRelVoidsElement, IfcRelNests): how a window that
    /// only fills an opening reaches its wall's storey. Asked after the two above.
    host: HashMap<u32, u32>,
}

/// The type of each id, as an index into `names`.
struct TypeOf {
    names: Vec<String>,
    slots: step::IdTable<u16>,
}

impl TypeOf {
    fn get(&self, id: u32) -> Option<&str> {
        let k = self.slots.get(u64::from(id))?;
        self.names.get(usize::from(k)).map(String::as_str)
    }
}

impl Graph {
    /// Type name of every record, from our own scan (ids now fit u32): the slots the
    /// pre-scan gave each record's keyword (`step::Kinds`).
    fn of(records: &[step::Record], kinds: &step::Kinds) -> Graph {
        let names = kinds.names.clone();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
        let mut slots = step::IdTable::default();
        for (r, &k) in records.iter().zip(&kinds.of) {
            let id = r.id as u32;
            lists[usize::from(k)].push(id);
            slots.insert(u64::from(id), k);
        }
        let by_type = names.iter().cloned().zip(lists).collect();
        Graph {
            by_type,
            type_of: TypeOf { names, slots },
            parent: HashMap::default(),
            container: HashMap::default(),
            host: HashMap::default(),
        }
    }

    fn ids(&self, t: &str) -> Vec<u32> {
        ids(&self.by_type, t)
    }

    fn kind(&self, id: u32) -> &str {
        self.type_of.get(id).unwrap_or("")
    }

    /// The next node up from `id`: its spatial container, else the whole it is part
    /// of, else its host; and whether it is the container.
    fn up(&self, id: u32) -> Option<(u32, bool)> {
        match self.container.get(&id) {
            Some(&c) => Some((c, true)),
            None => (self.parent.get(&id).or_else(|| self.host.get(&id))).map(|&p| (p, false)),
        }
    }

    /// Walks containment / aggregation / hosts upwards to the first node of `want`.
    fn find_up(&self, start: u32, want: &str) -> Option<u32> {
        let mut cur = start;
        for _ in 0..64 {
            let (next, _) = self.up(cur)?;
            if self.kind(next) == want {
                return Some(next);
            }
            cur = next;
        }
        None
    }

    /// Whether `start` is in the spatial structure: some node on its way up is
    /// contained in a spatial element.
    fn is_contained(&self, start: u32) -> bool {
        let mut cur = start;
        for _ in 0..64 {
            match self.up(cur) {
                Some((_, true)) => return true,
                Some((next, false)) => cur = next,
                None => return false,
            }
        }
        false
    }
}

/// What the stages after the decoder's index share.
struct Load<'d> {
    data: &'d [u8],
    file: &'d str,
    ctl: &'d Control<'d>,
    /// The pre-scan's records, until the point pass before meshing has read them.
    records: Vec<step::Record>,
    /// Their type keywords, as long as the records.
    kinds: step::Kinds,
    graph: Graph,
    index: Index,
    rd: Reader<'d>,
    diags: Vec<Diagnostic>,
}

/// The spatial structure and georeferencing.
struct Structure {
    /// The decoder's length unit scale (geometry follows it).
    lib_scale: f64,
    project: Option<SpatialNode>,
    sites: Vec<Site>,
    buildings: Vec<Building>,
    storeys: Vec<Storey>,
    georef: Georef,
    storey_gid: HashMap<u32, String>,
    building_gid: HashMap<u32, String>,
}

/// Products, spaces, and what is to be meshed and read in parallel.
struct Products {
    element_counts: BTreeMap<String, usize>,
    products: Vec<(u32, IfcType)>,
    spaces: Vec<Space>,
    /// (index in `spaces`, id) of spaces without an area quantity: meshed.
    space_geometry: Vec<(usize, u32)>,
    mesh_ids: Vec<u32>,
    element_ids: Vec<u32>,
    frame: Frame,
}

impl<'d> Load<'d> {
    /// The (first) IfcProject, or `NoProject` naming the first diagnostics.
    fn project_id(&mut self) -> Result<u32, IfcError> {
        let all = self.graph.by_type.get("IFCPROJECT");
        let Some(project_id) = all.and_then(|v| v.first().copied()) else {
            let notes: String = self
                .diags
                .iter()
                .take(5)
                .map(|d| format!("\n  also: [{}] {}", d.code, d.message))
                .collect();
            return Err(IfcError::NoProject {
                file: self.file.into(),
                notes,
            });
        };
        if all.is_some_and(|v| v.len() > 1) {
            self.diags.push(Diagnostic::warn(
                "multiple_projects",
                "more than one IfcProject; the first is used",
            ));
        }
        Ok(project_id)
    }

    /// Units, relationships, spatial structure and georeferencing.
    fn structure(&mut self) -> Result<(Structure, PropRels), IfcError> {
        let project_id = self.project_id()?;
        let units = read_units(&mut self.rd, project_id, &mut self.diags);
        let lib_scale = self.rd.dec.length_unit_scale();
        if (lib_scale - units.length).abs() > 1e-12 * units.length.max(1.0) {
            self.diags.push(Diagnostic::warn(
                "unit_mismatch",
                format!(
                    "length unit read as {} m, geometry kernel uses {} m; geometry follows the kernel",
                    units.length, lib_scale
                ),
            ));
        }
        let rels = self.relationships(units);
        self.ctl.check()?;
        let project = self.rd.get(project_id).map(|e| node(&e));
        let sites = self.sites(&rels.units);
        let buildings = self.buildings(&rels);
        let storeys = self.storeys(&rels.units);
        let georef = self.georef(project_id, &sites, &rels);
        let storey_gid = storeys
            .iter()
            .map(|s| (s.node.id, s.node.global_id.clone()))
            .collect();
        let building_gid = buildings
            .iter()
            .map(|b| (b.node.id, b.node.global_id.clone()))
            .collect();
        let st = Structure {
            lib_scale,
            project,
            sites,
            buildings,
            storeys,
            georef,
            storey_gid,
            building_gid,
        };
        Ok((st, rels))
    }

    /// The records of type `ty`, each decoded once and read by `f`, across the cores
    /// ([`decode_each`]), in file order.
    fn read_all<T: Send>(
        &mut self,
        ty: &str,
        f: impl Fn(&mut Reader<'d>, &DecodedEntity) -> T + Sync,
    ) -> Vec<T> {
        let ids = self.graph.ids(ty);
        let (read, failed) =
            decode_each(self.data, &self.index, &ids, |&id| id, |rd, _, e| f(rd, e));
        self.rd.note_failures(failed);
        read
    }

    /// Aggregation and containment (into the graph) and property assignments.
    ///
    /// Revit writes a relationship per element and property set: their decoding ran
    /// on one core for a tenth of the tiled Duplex's load, and now runs on all.
    fn relationships(&mut self, units: Units) -> PropRels {
        let aggregates = self.read_all("IFCRELAGGREGATES", |_, e| (e.get_ref(4), refs(e.get(5))));
        for (p, children) in aggregates {
            if let Some(p) = p {
                for c in children {
                    self.graph.parent.insert(c, p);
                }
            }
        }
        let contained = self.read_all("IFCRELCONTAINEDINSPATIALSTRUCTURE", |_, e| {
            (e.get_ref(5), refs(e.get(4)))
        });
        for (s, children) in contained {
            if let Some(s) = s {
                for c in children {
                    self.graph.container.insert(c, s);
                }
            }
        }
        // Hosts, after containment and aggregation, which take precedence.
        let fills = self.read_all("IFCRELFILLSELEMENT", |_, e| (e.get_ref(4), e.get_ref(5)));
        let voids = self.read_all("IFCRELVOIDSELEMENT", |_, e| (e.get_ref(4), e.get_ref(5)));
        let hosted = (fills.into_iter())
            .map(|(opening, filling)| (filling, opening))
            .chain(voids.into_iter().map(|(host, opening)| (opening, host)));
        for (c, h) in hosted {
            if let (Some(c), Some(h)) = (c, h) {
                self.graph.host.insert(c, h);
            }
        }
        let nests = self.read_all("IFCRELNESTS", |_, e| (e.get_ref(4), refs(e.get(5))));
        for (whole, parts) in nests {
            if let Some(whole) = whole {
                for c in parts {
                    self.graph.host.entry(c).or_insert(whole);
                }
            }
        }
        let mut psets_of: HashMap<u32, Vec<u32>> = HashMap::default();
        let by_props = self.read_all("IFCRELDEFINESBYPROPERTIES", |_, e| {
            let defs = match e.get(5) {
                Some(AttributeValue::EntityRef(r)) => vec![*r],
                other => refs(other),
            };
            (refs(e.get(4)), defs)
        });
        for (objects, defs) in by_props {
            for o in objects {
                psets_of.entry(o).or_default().extend(defs.iter().copied());
            }
        }
        let mut type_psets_of: HashMap<u32, Vec<u32>> = HashMap::default();
        let by_type = self.read_all("IFCRELDEFINESBYTYPE", |rd, e| {
            let sets = (e.get_ref(5).and_then(|t| rd.get(t)))
                .map(|te| refs(te.get(5)))
                .unwrap_or_default();
            (refs(e.get(4)), sets)
        });
        for (objects, sets) in by_type {
            if sets.is_empty() {
                continue;
            }
            for o in objects {
                type_psets_of
                    .entry(o)
                    .or_default()
                    .extend(sets.iter().copied());
            }
        }
        let mut named: HashMap<u32, u32> = HashMap::default();
        for ps in psets_of.values().chain(type_psets_of.values()).flatten() {
            *named.entry(*ps).or_default() += 1;
        }
        let shared = named
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(ps, _)| ps)
            .collect();
        PropRels {
            psets_of,
            type_psets_of,
            shared,
            units,
        }
    }

    fn sites(&mut self, units: &Units) -> Vec<Site> {
        let mut sites = Vec::new();
        for id in self.graph.ids("IFCSITE") {
            let Some(e) = self.rd.get(id) else { continue };
            sites.push(Site {
                node: node(&e),
                ref_latitude_deg: compound(e.get(9)),
                ref_longitude_deg: compound(e.get(10)),
                ref_elevation_m: e.get_float(11).map(|v| v * units.length),
                terrain: None,
            });
        }
        sites
    }

    fn buildings(&mut self, rels: &PropRels) -> Vec<Building> {
        let mut buildings = Vec::new();
        for id in self.graph.ids("IFCBUILDING") {
            let Some(e) = self.rd.get(id) else { continue };
            let p = rels.props(&mut self.rd, id);
            buildings.push(Building {
                node: node(&e),
                elevation_of_ref_height_m: e.get_float(9).map(|v| v * rels.units.length),
                elevation_of_terrain_m: e.get_float(10).map(|v| v * rels.units.length),
                occupancy_type: text_prop(&p, &["Pset_BuildingCommon.OccupancyType"]),
            });
        }
        buildings
    }

    /// Storeys by elevation (those without one last, by id), each named once if
    /// it has no Elevation.
    fn storeys(&mut self, units: &Units) -> Vec<Storey> {
        let mut storeys = Vec::new();
        for id in self.graph.ids("IFCBUILDINGSTOREY") {
            let Some(e) = self.rd.get(id) else { continue };
            let building = self.graph.find_up(id, "IFCBUILDING").and_then(|b| {
                self.rd
                    .get(b)
                    .and_then(|e| e.get_string(0).map(str::to_owned))
            });
            storeys.push(Storey {
                node: node(&e),
                elevation_m: e.get_float(9).map(|v| v * units.length),
                placement_z_m: e
                    .get_ref(5)
                    .and_then(|p| placement_matrix(&mut self.rd, p, 0))
                    .map(|m| m[2][3] * units.length),
                building,
            });
        }
        storeys.sort_by(|a, b| match (a.elevation_m, b.elevation_m) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.node.id.cmp(&b.node.id),
        });
        for s in storeys.iter().filter(|s| s.elevation_m.is_none()) {
            self.diags.push(
                Diagnostic::warn(
                    "storey_without_elevation",
                    format!(
                        "IfcBuildingStorey '{}' has no Elevation; its placement height is used",
                        s.node.name.clone().unwrap_or_default()
                    ),
                )
                .at_entity(u64::from(s.node.id)),
            );
        }
        storeys
    }

    fn georef(&mut self, project_id: u32, sites: &[Site], rels: &PropRels) -> Georef {
        let raw_mc = read_map_conversion(&mut self.rd, &self.graph.by_type, &mut self.diags)
            .or_else(|| read_epset_map_conversion(&mut self.rd, project_id, sites, rels));
        let site_ref = sites
            .iter()
            .find_map(|s| Some((s.ref_latitude_deg?, s.ref_longitude_deg?, s.ref_elevation_m)));
        let mut georef = georef::assess(raw_mc, site_ref, rels.units.length);
        if georef.map_conversion.is_none() && self.graph.by_type.contains_key("IFCRIGIDOPERATION") {
            georef.warnings.push(
                "the model georeferences with IfcRigidOperation, which zhishen does not read yet; give an explicit placement".into(),
            );
        }
        georef
    }

    /// Products (sorted by id), spaces, and what to mesh: every product but openings,
    /// and spaces only when they have no area quantity.
    fn products(&mut self, st: &Structure, rels: &PropRels) -> Result<Products, IfcError> {
        let mut element_counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut products: Vec<(u32, IfcType)> = Vec::new();
        for (name, list) in &self.graph.by_type {
            let t = IfcType::from_str(name);
            if matches!(t, IfcType::Unknown(_)) || !t.is_subtype_of(IfcType::IfcProduct) {
                continue;
            }
            element_counts.insert(t.name().to_string(), list.len());
            for &id in list {
                products.push((id, t.clone()));
            }
        }
        products.sort_by_key(|p| p.0);
        let (spaces, space_geometry) = self.spaces(st, rels);
        self.ctl.check()?;
        let geometry_spaces: rustc_hash::FxHashSet<u32> =
            space_geometry.iter().map(|s| s.1).collect();
        let mesh_ids: Vec<u32> = products
            .iter()
            .filter(|(id, t)| match t {
                IfcType::IfcOpeningElement => false,
                IfcType::IfcSpace => geometry_spaces.contains(id),
                _ => true,
            })
            .map(|(id, _)| *id)
            .collect();
        let frame = self.frame(st.lib_scale);
        let element_ids: Vec<u32> = products
            .iter()
            .filter(|(_, t)| is_element(t))
            .map(|(id, _)| *id)
            .collect();
        Ok(Products {
            element_counts,
            products,
            spaces,
            space_geometry,
            mesh_ids,
            element_ids,
            frame,
        })
    }

    /// Spaces, before meshing: only those without area quantities need their geometry.
    fn spaces(&mut self, st: &Structure, rels: &PropRels) -> (Vec<Space>, Vec<(usize, u32)>) {
        let mut spaces = Vec::new();
        let mut space_geometry: Vec<(usize, u32)> = Vec::new();
        for id in self.graph.ids("IFCSPACE") {
            let Some(e) = self.rd.get(id) else { continue };
            let p = rels.props(&mut self.rd, id);
            let storey = self
                .graph
                .find_up(id, "IFCBUILDINGSTOREY")
                .and_then(|s| st.storey_gid.get(&s).cloned());
            let (usage, usage_source) = space_usage(&e, &p);
            let net = area_from(&p, NET_AREA_KEYS);
            let gross = area_from(&p, GROSS_AREA_KEYS);
            if net.is_none() && gross.is_none() {
                space_geometry.push((spaces.len(), id));
            }
            spaces.push(Space {
                node: node(&e),
                storey,
                usage,
                usage_source,
                net_floor_area: net,
                gross_floor_area: gross,
            });
        }
        (spaces, space_geometry)
    }

    /// One pass over the points: the RTC anchor for meshing, and 2-D profile points far
    /// from the origin, which lose precision in the kernel's f32 profile path.
    fn frame(&mut self, lib_scale: f64) -> Frame {
        let points = PointExtent::of(self.data, &self.records, &self.kinds, lib_scale);
        if points.far_profile_m > LARGE_PROFILE_M {
            let far = points.far_profile_m;
            self.diags.push(Diagnostic::warn(
                "large_coordinates",
                format!(
                    "profile points lie up to {:.1} km from the model origin (geometry drawn in map coordinates rather than placed there); the geometry kernel reads profiles in single precision, so shapes may be off by up to {:.2} m",
                    far / 1000.0,
                    far * f64::from(f32::EPSILON)
                ),
            ));
        }
        points.frame(lib_scale)
    }

    /// Meshing and property reading are independent: both run across the cores. The
    /// meshing side reports products meshed; either side stops on cancellation.
    fn mesh_and_props(
        &mut self,
        p: &Products,
        rels: &PropRels,
        t: &mut LoadTimings,
    ) -> Result<(Meshed, HashMap<u32, Properties>), IfcError> {
        let meter = self.ctl.stage(Stage::Mesh, p.mesh_ids.len() as u64)?;
        let workers = Workers {
            data: self.data,
            index: &self.index,
            ctl: self.ctl,
        };
        // Our readers are asked of every product only when the file has what they
        // read at all (most IFC2x3 exports have no face sets).
        let has = |kinds: &[&str]| {
            !self.ctl.options().ifc_lite_bodies
                && kinds.iter().any(|k| self.graph.by_type.contains_key(*k))
        };
        let own = tess::Own {
            face_sets: has(&["IFCTRIANGULATEDFACESET", "IFCPOLYGONALFACESET"]),
            extrusions: has(&[
                "IFCCIRCLEPROFILEDEF",
                "IFCCIRCLEHOLLOWPROFILEDEF",
                "IFCRECTANGLEPROFILEDEF",
            ]),
        };
        let maps = self.graph.ids("IFCREPRESENTATIONMAP");
        let ((meshes, mesh_s), (props, psets_s)) = rayon::join(
            || timed(|| workers.mesh_all(&p.mesh_ids, p.frame, own, &meter, &maps)),
            || timed(|| rels.props_all(&workers, &p.element_ids)),
        );
        (t.mesh_s, t.psets_s) = (mesh_s, psets_s);
        let (meshes, (element_props, prop_failures)) = (meshes?, props?);
        meter.finish()?;
        self.rd.note_failures(prop_failures);
        Ok((meshes, element_props))
    }

    /// Meshes by product, naming those that could not be meshed; with the kernel's
    /// error for each of those.
    fn sort_meshes(
        &mut self,
        meshes: Vec<MeshResult>,
    ) -> (HashMap<u32, Mesh>, HashMap<u32, String>) {
        let mut mesh_of: HashMap<u32, Mesh> =
            HashMap::with_capacity_and_hasher(meshes.len(), Default::default());
        let mut mesh_failures = Vec::new();
        for (id, r) in meshes {
            match r {
                Ok(Some(m)) => {
                    mesh_of.insert(id, m);
                }
                Ok(None) => {}
                Err(msg) => mesh_failures.push((id, msg)),
            }
        }
        let graph = &self.graph;
        push_listed(
            &mut self.diags,
            &mesh_failures,
            "geometry_failed",
            "elements could not be meshed",
            |(id, msg)| {
                Diagnostic::warn(
                    "geometry_failed",
                    format!(
                        "geometry of #{id} ({}) could not be meshed: {msg}",
                        graph.kind(*id)
                    ),
                )
                .at_entity(u64::from(*id))
            },
        );
        (mesh_of, mesh_failures.into_iter().collect())
    }

    /// The items of product `id`'s body: of the representations the mesher reads
    /// (ifc-lite's own selection), in order. `None` when a link on the way cannot be
    /// decoded; an empty list when it has no body.
    fn body_items(&mut self, id: u32) -> Option<Vec<u32>> {
        use ifc_lite_geometry::representation::{
            meshed_representations, pds_representation_ids, product_shape_id, rep_item_ids,
        };
        let ent = self.rd.get(id)?;
        let Some(shape) = product_shape_id(&ent) else {
            return Some(Vec::new());
        };
        let shape = self.rd.get(shape)?;
        let reps = (pds_representation_ids(&shape)
            .collect::<Vec<_>>()
            .into_iter())
        .map(|r| self.rd.get(r))
        .collect::<Option<Vec<DecodedEntity>>>()?;
        // Bound before returning: the iterator borrows `ent` and `reps`, which the
        // temporaries of a tail expression would outlive.
        let items = meshed_representations(&ent, &reps)
            .flat_map(rep_item_ids)
            .collect();
        Some(items)
    }

    /// Whether product `id` has a body with at least one item ([`Self::body_items`]).
    /// Such an element without a mesh is missing from the facts, not an element
    /// without geometry. Undecodable links count as a body: nothing then shows that
    /// the element has none.
    fn has_body(&mut self, id: u32) -> bool {
        self.body_items(id).is_none_or(|items| !items.is_empty())
    }

    /// Why product `id`, which has a mesh, is missing part of it: one of the mapped
    /// families its body places lost an item (`lossy`, [`Mesher::lossy_families`]).
    fn lost_family(&mut self, id: u32, lossy: &HashMap<u32, String>) -> Option<String> {
        for item in self.body_items(id)? {
            let Some(item) = self.rd.get(item) else {
                continue;
            };
            if item.ifc_type != IfcType::IfcMappedItem {
                continue;
            }
            if let Some(why) = item.get_ref(0).and_then(|map| lossy.get(&map)) {
                return Some(why.clone());
            }
        }
        None
    }

    /// Why `e`, which has no mesh, is missing geometry: the kernel's error, or a body
    /// that gave no triangles (an item the kernel does not read, a degenerate solid, a
    /// mapped family whose source failed). `None` when it has no body to mesh.
    fn body_error(&mut self, e: &Element, failed: &HashMap<u32, String>) -> Option<String> {
        if let Some(msg) = failed.get(&e.id) {
            return Some(msg.clone());
        }
        // Drawings: an annotation's fill or a grid's axes meshing to nothing is no
        // geometry lost (FZK-Haus has such an annotation).
        if matches!(e.ifc_class.as_str(), "IfcAnnotation" | "IfcGrid") {
            return None;
        }
        self.has_body(e.id)
            .then(|| "its body representation gave no triangles".to_string())
    }

    /// Each element's own fields, its entity decoded across the cores ([`decode_each`]),
    /// in product order; its mesh, properties and box are set by the caller.
    fn read_elements(
        &mut self,
        st: &Structure,
        products: &[(u32, IfcType)],
    ) -> (Vec<Element>, Vec<facts::Undecoded>) {
        let elements: Vec<&(u32, IfcType)> =
            products.iter().filter(|(_, t)| is_element(t)).collect();
        // Where each class keeps its kind: PredefinedType, or IFC2x3 IfcRoof's ShapeType.
        let mut type_slots: HashMap<&str, [Option<usize>; 2]> = HashMap::default();
        for (_, t) in &elements {
            let class = t.name();
            type_slots.entry(class).or_insert_with(|| {
                [
                    self.rd.dec.attribute_index(class, "PredefinedType"),
                    self.rd.dec.attribute_index(class, "ShapeType"),
                ]
            });
        }
        let g = &self.graph;
        let (read, failed) = decode_each(
            self.data,
            &self.index,
            &elements,
            |&&(id, _)| id,
            |_, &&(id, ref t), e| {
                let class = t.name();
                let predefined_type = (type_slots.get(class).into_iter().flatten().flatten())
                    .find_map(|&i| e.get(i).and_then(|v| v.as_enum()))
                    .map(str::to_owned);
                Element {
                    id,
                    global_id: e.get_string(0).unwrap_or_default().to_owned(),
                    ifc_class: class.to_string(),
                    predefined_type,
                    object_type: e.get_string(4).map(str::to_owned),
                    name: e.get_string(2).map(str::to_owned),
                    storey: (g.find_up(id, "IFCBUILDINGSTOREY"))
                        .and_then(|s| st.storey_gid.get(&s).cloned()),
                    building: (g.find_up(id, "IFCBUILDING"))
                        .and_then(|b| st.building_gid.get(&b).cloned()),
                    part_of: (g.parent.get(&id).and_then(|&p| g.type_of.get(p)))
                        .map(|n| IfcType::from_str(n).name().to_string()),
                    properties: Properties::default(),
                    bbox: None,
                    mesh: None,
                    body_error: None,
                    contained: g.is_contained(id),
                }
            },
        );
        let class_of: HashMap<u32, &IfcType> = elements.iter().map(|(id, t)| (*id, t)).collect();
        let undecoded = (failed.iter())
            .filter_map(|(id, err)| {
                Some(facts::Undecoded {
                    id: *id,
                    ifc_class: class_of.get(id)?.name().to_string(),
                    in_building: g.find_up(*id, "IFCBUILDING").is_some(),
                    reason: format!("the entity could not be decoded: {err}"),
                })
            })
            .collect();
        self.rd.note_failures(failed);
        (read, undecoded)
    }

    /// Site terrain, the model's box, spaces' areas from geometry, and the elements
    /// with their meshes and properties.
    fn elements(
        &mut self,
        st: &mut Structure,
        p: &mut Products,
        meshed: Meshed,
        mut element_props: HashMap<u32, Properties>,
    ) -> (Vec<Element>, Option<BBox>, Vec<facts::Undecoded>) {
        let Meshed { meshes, lossy } = meshed;
        let (mut mesh_of, mesh_failed) = self.sort_meshes(meshes);
        // The site's body is its terrain: the ground a sloping site's height is measured from.
        for site in &mut st.sites {
            site.terrain = mesh_of.remove(&site.node.id);
        }
        // Each mesh's box once, in parallel: the model's box and each element's.
        let boxes: HashMap<u32, BBox> = mesh_of
            .par_iter()
            .filter_map(|(id, m)| m.bbox().map(|b| (*id, b)))
            .collect();
        let bbox = world_bbox(&p.products, &boxes);
        space_areas(&mut p.spaces, &p.space_geometry, &mesh_of);
        let (elements, undecoded) = self.read_elements(st, &p.products);
        let mut elements: Vec<Element> = (elements.into_iter())
            .map(|mut e| {
                e.mesh = mesh_of.remove(&e.id);
                e.properties = element_props.remove(&e.id).unwrap_or_default();
                e.bbox = boxes.get(&e.id).copied();
                e
            })
            .collect();
        for e in elements.iter_mut() {
            e.body_error = match e.mesh {
                None => self.body_error(e, &mesh_failed),
                Some(_) if !lossy.is_empty() => self.lost_family(e.id, &lossy),
                Some(_) => None,
            };
        }
        self.note_empty_bodies(&elements, &mesh_failed);
        push_listed(
            &mut self.diags,
            &self.rd.failed,
            "decode_failed",
            "entities could not be decoded",
            |(id, err)| {
                Diagnostic::warn(
                    "decode_failed",
                    format!("entity #{id} could not be decoded: {err}"),
                )
                .at_entity(u64::from(*id))
            },
        );
        (elements, bbox, undecoded)
    }

    /// A diagnostic for each element whose body meshed to nothing without an error
    /// (the kernel's errors have theirs, `geometry_failed`).
    fn note_empty_bodies(&mut self, elements: &[Element], failed: &HashMap<u32, String>) {
        let empty: Vec<&Element> = (elements.iter())
            .filter(|e| e.mesh.is_none() && e.body_error.is_some() && !failed.contains_key(&e.id))
            .collect();
        let partial: Vec<&Element> = (elements.iter())
            .filter(|e| e.mesh.is_some() && e.body_error.is_some())
            .collect();
        push_listed(
            &mut self.diags,
            &partial,
            "geometry_partial",
            "elements' bodies lack a mapped family's item",
            |e| {
                Diagnostic::warn(
                    "geometry_partial",
                    format!(
                        "the body of #{} ({}) lacks part of its geometry: {}",
                        e.id,
                        e.ifc_class,
                        e.body_error.as_deref().unwrap_or_default()
                    ),
                )
                .at_entity(u64::from(e.id))
            },
        );
        push_listed(
            &mut self.diags,
            &empty,
            "geometry_empty",
            "elements' bodies gave no triangles",
            |e| {
                Diagnostic::warn(
                    "geometry_empty",
                    format!(
                        "the body of #{} ({}) gave no triangles: an item the geometry kernel does not read, a degenerate solid or a mapped family whose source failed",
                        e.id, e.ifc_class
                    ),
                )
                .at_entity(u64::from(e.id))
            },
        );
    }
}

/// The box of every meshed product but spaces, openings and the site (terrain).
fn world_bbox(products: &[(u32, IfcType)], boxes: &HashMap<u32, BBox>) -> Option<BBox> {
    let mut bbox_world_m: Option<BBox> = None;
    for (id, t) in products {
        if matches!(
            t,
            IfcType::IfcSpace | IfcType::IfcOpeningElement | IfcType::IfcSite
        ) {
            continue;
        }
        if let Some(&b) = boxes.get(id) {
            match &mut bbox_world_m {
                Some(a) => a.union(&b),
                None => bbox_world_m = Some(b),
            }
        }
    }
    bbox_world_m
}

/// Spaces without an area quantity fall back to their projected geometry.
fn space_areas(
    spaces: &mut [Space],
    space_geometry: &[(usize, u32)],
    mesh_of: &HashMap<u32, Mesh>,
) {
    for &(k, id) in space_geometry {
        if let Some(m) = mesh_of.get(&id) {
            let mut u = Union::new();
            for t in m.triangles() {
                u.add(&[[t[0][0], t[0][1]], [t[1][0], t[1][1]], [t[2][0], t[2][1]]]);
            }
            let o = u.finish();
            if o.area_m2 > 0.0 {
                spaces[k].net_floor_area = Some(Area {
                    value_m2: o.area_m2,
                    source: AreaSource::Geometry,
                    detail: "projected space geometry".into(),
                });
            }
        }
    }
}

/// A decoder, the entities it could not decode, and its cache of flattened psets.
struct Reader<'a> {
    data: &'a [u8],
    dec: EntityDecoder<'a>,
    index: Index,
    failed: Vec<(u32, String)>,
    psets: PsetCache,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], index: &Index) -> Reader<'a> {
        Reader {
            data,
            dec: index.decoder(data),
            index: index.clone(),
            failed: Vec::new(),
            psets: PsetCache::default(),
        }
    }

    /// Failures other readers met, each noted once, in their order.
    fn note_failures(&mut self, failed: Vec<Failure>) {
        for f in failed {
            if !self.failed.iter().any(|(id, _)| *id == f.0) {
                self.failed.push(f);
            }
        }
    }

    /// Entity `id`, kept in the decoder's cache (bounded, [`bound_cache`]).
    fn get(&mut self, id: u32) -> Option<DecodedEntity> {
        bound_cache(&mut self.dec);
        let decoded = self.dec.decode_by_id(id);
        self.noted(id, decoded)
    }

    /// [`Reader::get`] without keeping the entity in the decoder's cache: for what is
    /// read once (properties, whose sets have their own cache).
    fn get_once(&mut self, id: u32) -> Option<DecodedEntity> {
        let decoded = match self.index.span(id) {
            Some((start, end)) => self.dec.decode_at_uncached(start, end),
            None => self.dec.decode_by_id(id),
        };
        self.noted(id, decoded)
    }

    /// The entity, or `None` with the failure noted once for `id`.
    fn noted(
        &mut self,
        id: u32,
        decoded: ifc_lite_core::Result<DecodedEntity>,
    ) -> Option<DecodedEntity> {
        decoded
            .map_err(|err| {
                if !self.failed.iter().any(|(f, _)| *f == id) {
                    self.failed.push((id, err.to_string()));
                }
            })
            .ok()
    }
}

fn ids(by_type: &HashMap<String, Vec<u32>>, t: &str) -> Vec<u32> {
    by_type.get(t).cloned().unwrap_or_default()
}

fn refs(v: Option<&AttributeValue>) -> Vec<u32> {
    v.and_then(|v| v.as_list())
        .map(|l| l.iter().filter_map(AttributeValue::as_entity_ref).collect())
        .unwrap_or_default()
}

fn node(e: &DecodedEntity) -> SpatialNode {
    SpatialNode {
        id: e.id,
        global_id: e.get_string(0).unwrap_or_default().to_owned(),
        name: e.get_string(2).filter(|s| !s.is_empty()).map(str::to_owned),
        long_name: e.get_string(7).filter(|s| !s.is_empty()).map(str::to_owned),
    }
}

fn compound(v: Option<&AttributeValue>) -> Option<f64> {
    let parts: Vec<i64> = v?
        .as_list()?
        .iter()
        .filter_map(AttributeValue::as_int)
        .collect();
    georef::compound_angle_deg(&parts)
}

fn normalise_schema(h: &Header, diags: &mut Vec<Diagnostic>) -> String {
    let raw = h
        .schema_identifiers
        .first()
        .map(|s| s.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let fam = if raw.starts_with("IFC2X3") {
        "IFC2X3"
    } else if raw.starts_with("IFC4X3") {
        "IFC4X3"
    } else if raw.starts_with("IFC4") {
        "IFC4"
    } else {
        diags.push(Diagnostic::warn(
            "unknown_schema",
            format!(
                "FILE_SCHEMA {raw:?} is not IFC2X3, IFC4 or IFC4X3; read with the IFC4X3 layout"
            ),
        ));
        return if raw.is_empty() {
            "UNKNOWN".into()
        } else {
            raw
        };
    };
    fam.into()
}

pub(crate) struct Units {
    pub length: f64,
    pub area: f64,
    pub volume: f64,
}

/// Scale of a unit entity to SI base (m, m2, m3); `None` for non-SI-convertible units.
fn unit_scale(rd: &mut Reader, id: u32, depth: usize) -> Option<(String, f64)> {
    let e = rd.get(id)?;
    let kind = e.get(1).and_then(|v| v.as_enum()).unwrap_or("").to_owned();
    let name = format!("{:?}", e.ifc_type).to_ascii_uppercase();
    if name.contains("SIUNIT") {
        let p = crate::units::si_prefix_factor(e.get(2).and_then(|v| v.as_enum()));
        let exp = match e.get(3).and_then(|v| v.as_enum()) {
            Some("SQUARE_METRE") => 2,
            Some("CUBIC_METRE") => 3,
            _ => 1,
        };
        return Some((kind, p.powi(exp)));
    }
    if name.contains("CONVERSIONBASEDUNIT") && depth < 4 {
        let mwu = rd.get(e.get_ref(3)?)?;
        let factor = mwu.get(0).and_then(|v| v.as_float())?;
        let (_, base) = unit_scale(rd, mwu.get_ref(1)?, depth + 1)?;
        return Some((kind, factor * base));
    }
    None
}

fn read_units(rd: &mut Reader, project: u32, diags: &mut Vec<Diagnostic>) -> Units {
    let mut u = Units {
        length: 1.0,
        area: f64::NAN,
        volume: f64::NAN,
    };
    let mut have_length = false;
    let assignment = rd.get(project).and_then(|p| p.get_ref(8));
    let units = assignment
        .and_then(|a| rd.get(a))
        .map(|a| refs(a.get(0)))
        .unwrap_or_default();
    for id in units {
        if let Some((kind, s)) = unit_scale(rd, id, 0) {
            match kind.as_str() {
                "LENGTHUNIT" => {
                    u.length = s;
                    have_length = true;
                }
                "AREAUNIT" => u.area = s,
                "VOLUMEUNIT" => u.volume = s,
                _ => {}
            }
        }
    }
    if !have_length {
        diags.push(
            Diagnostic::warn(
                "no_length_unit",
                "IfcProject declares no length unit; metres assumed",
            )
            .at_entity(u64::from(project)),
        );
    }
    if u.area.is_nan() {
        u.area = u.length * u.length;
    }
    if u.volume.is_nan() {
        u.volume = u.length.powi(3);
    }
    u
}

fn value_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::Typed { value, .. } => value_json(value),
        AttributeValue::Float(f) if f.is_finite() => serde_json::json!(f),
        AttributeValue::Integer(i) => serde_json::json!(i),
        AttributeValue::String(s) => Value::String(s.clone()),
        AttributeValue::Enum(e) => match e.as_str() {
            "T" => Value::Bool(true),
            "F" => Value::Bool(false),
            "U" => Value::Null,
            other => Value::String(other.to_owned()),
        },
        AttributeValue::List(l) => Value::Array(l.iter().map(value_json).collect()),
        _ => Value::Null,
    }
}

/// Whether an entity's type name contains `word` (upper case), ignoring case.
fn type_has(t: &IfcType, word: &str) -> bool {
    let (name, w) = (t.name().as_bytes(), word.as_bytes());
    name.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w))
}

fn read_pset(rd: &mut Reader, id: u32, units: &Units) -> Vec<(String, Value)> {
    // The plain property set straight from its bytes; the rest through ifc-lite.
    let plain = (rd.index.span(id))
        .and_then(|(start, end)| rd.data.get(start..end))
        .and_then(property::property_set);
    if let Some((set_name, props)) = plain {
        let mut out = Vec::with_capacity(props.len());
        for p in props {
            read_property(rd, p, &set_name, &mut out, 0);
        }
        return out;
    }
    let Some(e) = rd.get_once(id) else {
        return Vec::new();
    };
    let set_name = e.get_string(2).unwrap_or("").to_owned();
    let mut out = Vec::new();
    if type_has(&e.ifc_type, "ELEMENTQUANTITY") {
        for q in refs(e.get(5)) {
            let Some(qe) = rd.get_once(q) else { continue };
            let qt = &qe.ifc_type;
            let Some(name) = qe.get_string(0) else {
                continue;
            };
            let Some(raw) = qe.get(3).and_then(|v| v.as_float()) else {
                continue;
            };
            let own = qe
                .get_ref(2)
                .and_then(|u| unit_scale(rd, u, 0))
                .map(|(_, s)| s);
            let scale = if type_has(qt, "LENGTH") {
                own.unwrap_or(units.length)
            } else if type_has(qt, "AREA") {
                own.unwrap_or(units.area)
            } else if type_has(qt, "VOLUME") {
                own.unwrap_or(units.volume)
            } else {
                1.0
            };
            out.push((format!("{set_name}.{name}"), serde_json::json!(raw * scale)));
        }
    } else if type_has(&e.ifc_type, "PROPERTYSET") {
        for p in refs(e.get(4)) {
            read_property(rd, p, &set_name, &mut out, 0);
        }
    }
    out
}

fn read_property(
    rd: &mut Reader,
    id: u32,
    prefix: &str,
    out: &mut Vec<(String, Value)>,
    depth: usize,
) {
    // The plain single values straight from their bytes; the rest through ifc-lite.
    let plain = (rd.index.span(id))
        .and_then(|(start, end)| rd.data.get(start..end))
        .and_then(property::single_value);
    if let Some(read) = plain {
        if let Some((name, v)) = read {
            out.push((format!("{prefix}.{name}"), v));
        }
        return;
    }
    let Some(p) = rd.get_once(id) else { return };
    let Some(name) = p.get_string(0) else { return };
    let key = format!("{prefix}.{name}");
    let t = &p.ifc_type;
    let v = if type_has(t, "SINGLEVALUE") {
        p.get(2).map(value_json)
    } else if type_has(t, "ENUMERATEDVALUE") || type_has(t, "LISTVALUE") {
        p.get(2).map(|v| match value_json(v) {
            Value::Array(mut a) if a.len() == 1 => a.remove(0),
            other => other,
        })
    } else if type_has(t, "BOUNDEDVALUE") {
        Some(serde_json::json!({
            "upper": p.get(2).map(value_json),
            "lower": p.get(3).map(value_json),
        }))
    } else if type_has(t, "COMPLEXPROPERTY") && depth < 4 {
        for c in refs(p.get(3)) {
            read_property(rd, c, &key, out, depth + 1);
        }
        None
    } else {
        None
    };
    if let Some(v) = v {
        out.push((key, v));
    }
}

fn text_prop(p: &Properties, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match p.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    })
}

const NET_AREA_KEYS: &[&str] = &[
    "Qto_SpaceBaseQuantities.NetFloorArea",
    "BaseQuantities.NetFloorArea",
    "GSA Space Areas.GSA BIM Area",
    "ArchiCADQuantities.Netto-Grundfläche",
    "ArchiCADQuantities.Net Area",
    "Pset_SpaceCommon.NetPlannableArea",
];
const GROSS_AREA_KEYS: &[&str] = &[
    "Qto_SpaceBaseQuantities.GrossFloorArea",
    "BaseQuantities.GrossFloorArea",
    "ArchiCADQuantities.Brutto-Grundfläche",
    "ArchiCADQuantities.Gross Area",
    "Pset_SpaceCommon.GrossPlannedArea",
];

fn area_from(p: &Properties, keys: &[&str]) -> Option<Area> {
    keys.iter().find_map(|k| {
        let v = p.get(k)?.as_f64()?;
        (v.is_finite() && v > 0.0).then(|| Area {
            value_m2: v,
            source: if k.starts_with("Pset_") {
                AreaSource::Property
            } else {
                AreaSource::Quantity
            },
            detail: (*k).to_owned(),
        })
    })
}

fn space_usage(e: &DecodedEntity, p: &Properties) -> (Option<String>, Option<String>) {
    const KEYS: &[&str] = &[
        "Pset_SpaceOccupancyRequirements.OccupancyType",
        "Pset_SpaceCommon.OccupancyType",
        "Pset_SpaceCommon.Reference",
        "Pset_SpaceCommon.Category",
    ];
    for k in KEYS {
        if let Some(v) = text_prop(p, &[k]) {
            return (Some(v), Some((*k).to_owned()));
        }
    }
    if let Some(s) = e.get_string(4).filter(|s| !s.trim().is_empty()) {
        return (
            Some(s.trim().to_owned()),
            Some("IfcSpace.ObjectType".into()),
        );
    }
    if let Some(s) = e.get_string(7).filter(|s| !s.trim().is_empty()) {
        return (Some(s.trim().to_owned()), Some("IfcSpace.LongName".into()));
    }
    (None, None)
}

fn read_map_conversion(
    rd: &mut Reader,
    by_type: &HashMap<String, Vec<u32>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<RawMapConversion> {
    let mut found = Vec::new();
    for t in ["IFCMAPCONVERSION", "IFCMAPCONVERSIONSCALED"] {
        for id in ids(by_type, t) {
            let Some(e) = rd.get(id) else { continue };
            let crs = e.get_ref(1).and_then(|c| rd.get(c)).map(|c| Crs {
                name: c.get_string(0).map(str::to_owned),
                description: c.get_string(1).map(str::to_owned),
                geodetic_datum: c.get_string(2).map(str::to_owned),
                vertical_datum: c.get_string(3).map(str::to_owned),
                map_projection: c.get_string(4).map(str::to_owned),
                map_zone: c.get_string(5).map(str::to_owned),
                map_unit_m: c
                    .get_ref(6)
                    .and_then(|u| unit_scale(rd, u, 0))
                    .map(|(_, s)| s),
            });
            let (Some(east), Some(north)) = (e.get_float(2), e.get_float(3)) else {
                diags.push(
                    Diagnostic::warn(
                        "map_conversion_incomplete",
                        "IfcMapConversion lacks Eastings or Northings; ignored",
                    )
                    .at_entity(u64::from(id)),
                );
                continue;
            };
            found.push(RawMapConversion {
                source: "IfcMapConversion",
                eastings: east,
                northings: north,
                orthogonal_height: e.get_float(4).unwrap_or(0.0),
                x_axis_abscissa: e.get_float(5),
                x_axis_ordinate: e.get_float(6),
                scale: e.get_float(7),
                crs,
            });
        }
    }
    if found.len() > 1 && found.iter().any(|f| f != &found[0]) {
        diags.push(Diagnostic::warn(
            "multiple_map_conversions",
            format!(
                "{} differing IfcMapConversion entities; the first is used",
                found.len()
            ),
        ));
    }
    found.into_iter().next()
}

fn read_epset_map_conversion(
    rd: &mut Reader,
    project: u32,
    sites: &[Site],
    rels: &PropRels,
) -> Option<RawMapConversion> {
    let holders = std::iter::once(project).chain(sites.iter().map(|s| s.node.id));
    for h in holders.collect::<Vec<_>>() {
        let p = rels.props(rd, h);
        let f = |k: &str| {
            p.get(&format!("ePSet_MapConversion.{k}"))
                .and_then(Value::as_f64)
        };
        let (Some(east), Some(north)) = (f("Eastings"), f("Northings")) else {
            continue;
        };
        let s = |k: &str| text_prop(&p, &[&format!("ePSet_ProjectedCRS.{k}")]);
        let unit = s("MapUnit").map(|u| u.to_ascii_uppercase());
        let map_unit_m = unit.as_deref().map(|u| match u {
            "MILLIMETRE" | "MILLIMETER" | "MM" => 0.001,
            "CENTIMETRE" | "CENTIMETER" | "CM" => 0.01,
            "FOOT" | "FT" => 0.3048,
            _ => 1.0,
        });
        let crs = s("Name").map(|name| Crs {
            name: Some(name),
            description: s("Description"),
            geodetic_datum: s("GeodeticDatum"),
            vertical_datum: s("VerticalDatum"),
            map_projection: s("MapProjection"),
            map_zone: s("MapZone"),
            map_unit_m,
        });
        return Some(RawMapConversion {
            source: "ePSet_MapConversion",
            eastings: east,
            northings: north,
            orthogonal_height: f("OrthogonalHeight").unwrap_or(0.0),
            x_axis_abscissa: f("XAxisAbscissa"),
            x_axis_ordinate: f("XAxisOrdinate"),
            scale: f("Scale"),
            crs,
        });
    }
    None
}

/// Elements are products that are not spatial structure, spaces or openings.
fn is_element(t: &IfcType) -> bool {
    !(t.is_subtype_of(IfcType::IfcSpatialStructureElement)
        || matches!(t, IfcType::IfcOpeningElement | IfcType::IfcSpace))
}

/// A set's entries, shared by every object that names it ([`Properties`]).
type PsetCache = HashMap<u32, Arc<[Entry]>>;
type Entry = Arc<(String, Value)>;
/// An entity that could not be decoded, and why.
type Failure = (u32, String);

/// Records a worker of [`decode_each`] decodes at a time.
const DECODE_CHUNK: usize = 2_048;

/// `f` on the entity of each of `items` (`id_of`), decoded once across the cores in
/// chunks (each chunk its own reader), results in the items' order. Items whose entity
/// cannot be decoded are left out, and those failures returned in the same order, as
/// one reader would have noted them.
fn decode_each<'d, I: Sync, T: Send>(
    data: &'d [u8],
    index: &Index,
    items: &[I],
    id_of: impl Fn(&I) -> u32 + Sync,
    f: impl Fn(&mut Reader<'d>, &I, &DecodedEntity) -> T + Sync,
) -> (Vec<T>, Vec<Failure>) {
    let parts: Vec<(Vec<T>, Vec<Failure>)> = items
        .par_chunks(DECODE_CHUNK)
        .map(|chunk| {
            let mut rd = Reader::new(data, index);
            let read = (chunk.iter())
                .filter_map(|it| rd.get_once(id_of(it)).map(|e| f(&mut rd, it, &e)))
                .collect();
            (read, rd.failed)
        })
        .collect();
    let mut all = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (read, f) in parts {
        all.extend(read);
        failed.extend(f);
    }
    (all, failed)
}

/// What is needed to flatten an object's property sets.
struct PropRels {
    psets_of: HashMap<u32, Vec<u32>>,
    type_psets_of: HashMap<u32, Vec<u32>>,
    /// Property sets more than one object names (type sets, shared sets): read once
    /// per worker and cached. The others (Revit writes one set per element for each
    /// group of its properties) are read straight into their one object's properties.
    shared: HashSet<u32>,
    units: Units,
}

impl PropRels {
    /// `Pset.Property` -> value; type values first so that occurrence values override.
    fn props(&self, rd: &mut Reader, obj: u32) -> Properties {
        Properties::last_wins(self.entries(rd, obj))
    }

    /// The entries of `obj`'s sets, its type's first, in the order written.
    fn entries(&self, rd: &mut Reader, obj: u32) -> Vec<Entry> {
        let mut all = Vec::new();
        for list in [self.type_psets_of.get(&obj), self.psets_of.get(&obj)]
            .into_iter()
            .flatten()
        {
            for &ps in list {
                if !self.shared.contains(&ps) {
                    all.extend(read_pset(rd, ps, &self.units).into_iter().map(Arc::new));
                    continue;
                }
                let vals = match rd.psets.get(&ps) {
                    Some(v) => v.clone(),
                    None => {
                        let v: Arc<[Entry]> = (read_pset(rd, ps, &self.units).into_iter())
                            .map(Arc::new)
                            .collect();
                        rd.psets.insert(ps, v.clone());
                        v
                    }
                };
                all.extend(vals.iter().cloned());
            }
        }
        all
    }

    /// Properties of many objects in parallel; each worker has its own decoder and cache.
    fn props_all(
        &self,
        w: &Workers,
        ids: &[u32],
    ) -> Result<(HashMap<u32, Properties>, Vec<Failure>), IfcError> {
        let results: Vec<(u32, Properties, Vec<Failure>)> = ids
            .par_iter()
            .map_init(
                || w.reader(),
                |rd, &id| {
                    w.ctl.check()?;
                    let p = self.props(rd, id);
                    Ok((id, p, std::mem::take(&mut rd.failed)))
                },
            )
            .collect::<Result<_, IfcError>>()?;
        let mut failed = Vec::new();
        let mut map = HashMap::with_capacity_and_hasher(results.len(), Default::default());
        for (id, p, f) in results {
            map.insert(id, p);
            failed.extend(f);
        }
        Ok((map, failed))
    }
}

/// A product's mesh: none for a product without a body, or why it could not be meshed.
type MeshOutcome = Result<Option<Mesh>, String>;
type MeshResult = (u32, MeshOutcome);

/// Unit scale and RTC anchor shared by every meshing worker.
#[derive(Clone, Copy)]
struct Frame {
    unit_scale: f64,
    rtc: (f64, f64, f64),
}

/// What every parallel worker reads: the bytes, the decoder's index, the control.
struct Workers<'d> {
    data: &'d [u8],
    index: &'d Index,
    ctl: &'d Control<'d>,
}

impl<'d> Workers<'d> {
    fn reader(&self) -> Reader<'d> {
        Reader::new(self.data, self.index)
    }

    /// Meshes products in parallel; each worker owns its decoder and router. Every
    /// product meshed is counted on `meter`, which stops the loop once cancelled.
    /// `own`: the bodies `tess.rs` and `extrude.rs` mesh, before ifc-lite.
    fn mesh_all(
        &self,
        ids: &[u32],
        frame: Frame,
        own: tess::Own,
        meter: &Meter,
        maps: &[u32],
    ) -> Result<Meshed, IfcError> {
        let mesher = Mesher {
            data: self.data,
            index: self.index,
            frame,
            caches: Caches::new(),
            own,
        };
        let lossy = mesher.lossy_families(maps);
        if self.ctl.options().bake_every_occurrence {
            let meshes = ids
                .par_iter()
                .map_init(Worker::default, |w, &id| {
                    let r = mesher.bake_id(w, id);
                    meter.add(1).map(|()| (id, r))
                })
                .collect::<Result<_, _>>()?;
            return Ok(Meshed { meshes, lossy });
        }
        // Every product that is not one occurrence of a mapped family is meshed now;
        // the occurrences wait until their families are decided.
        let mut slots: Vec<(u32, Slot)> = ids
            .par_iter()
            .map_init(Worker::default, |w, &id| match mesher.first_pass(w, id) {
                Slot::Meshed(r) => meter.add(1).map(|()| (id, Slot::Meshed(r))),
                occ => Ok((id, occ)),
            })
            .collect::<Result<_, _>>()?;
        let families = mesher.decide_families(&mut slots, meter)?;
        let meshes = slots
            .into_par_iter()
            .map_init(Worker::default, |w, (id, slot)| match slot {
                Slot::Meshed(r) => Ok((id, r)),
                Slot::Occurrence(occ) => {
                    let r = match families.place(&occ) {
                        Some(m) => Ok(Some(m)),
                        None => mesher.bake_id(w, id),
                    };
                    meter.add(1).map(|()| (id, r))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Meshed { meshes, lossy })
    }
}

/// The meshes of the products, and the mapped families that lost an item.
struct Meshed {
    meshes: Vec<MeshResult>,
    /// IfcRepresentationMap id → why one of its items did not mesh
    /// ([`Mesher::lossy_families`]).
    lossy: HashMap<u32, String>,
}

/// A product on its way through meshing: meshed, or an occurrence of a mapped family
/// waiting for its family to be decided.
enum Slot {
    Meshed(MeshOutcome),
    Occurrence(instance::Occurrence),
}

/// Decoded entities a decoder may hold before it lets them go.
const DECODER_CACHE_LIMIT: usize = 4_096;

/// Bounds a decoder's caches of decoded entities and of points, before each read by a
/// [`Reader`] and after each product meshed. ifc-lite keeps every entity a decoder has
/// read; a meshing worker reads most of the model, so at 300 MB the two workers'
/// caches held about 100 MB by the end of meshing, and the main reader every product. What repeats
/// across products (representation maps, placements) has caches of its own that
/// stay; the entity cache mostly saves re-reading within one product. 4,096 was
/// measured against 20,000: 300 MB peak 1,016–1,038 → 1,001–1,005 MiB, and no load
/// slower (the smaller tables stay in cache).
fn bound_cache(dec: &mut EntityDecoder) {
    if dec.cache_size() > DECODER_CACHE_LIMIT {
        dec.clear_entity_cache();
        dec.clear_point_cache();
    }
}

/// What each meshing worker builds its decoder and router from.
struct Mesher<'a, 'd> {
    data: &'d [u8],
    index: &'a Index,
    frame: Frame,
    caches: Caches,
    /// The bodies meshed by `tess.rs` and `extrude.rs`, not ifc-lite.
    own: tess::Own,
}

/// One meshing worker's decoder and router, made on first use and made again after
/// a kernel panic.
type Worker<'d> = Option<(EntityDecoder<'d>, GeometryRouter)>;

/// ifc-lite's model-wide caches, one of each for the whole load and shared by every
/// worker's router (a router's own caches would only see the products that worker
/// happens to mesh). None of them changes a mesh: each keys what it keeps by the
/// structure it was meshed from, so a hit gives what meshing again would.
struct Caches {
    /// Items by structure: the same faceted brep, extrusion or boolean clipping
    /// written again under another placement is meshed once.
    items: ifc_lite_geometry::ItemDedupCache,
    /// IfcRepresentationMap sources of mapped items, meshed once model-wide.
    mapped: ifc_lite_geometry::SharedMappedItemCache,
    /// Structural signatures of faceted breps, computed once per brep.
    brep_signatures: ifc_lite_geometry::SharedBrepSignatureCache,
}

impl Caches {
    fn new() -> Caches {
        Caches {
            items: GeometryRouter::new_dedup_cache(),
            mapped: GeometryRouter::new_mapped_item_cache(),
            brep_signatures: GeometryRouter::new_brep_signature_cache(),
        }
    }

    fn arm(&self, router: &mut GeometryRouter) {
        router.enable_content_dedup_shared(self.items.clone());
        router.enable_shared_mapped_item_cache(self.mapped.clone());
        router.enable_shared_brep_signature_cache(self.brep_signatures.clone());
    }
}

impl<'d> Mesher<'_, 'd> {
    fn worker(&self) -> (EntityDecoder<'d>, GeometryRouter) {
        let frame = self.frame;
        let dec = self.index.decoder(self.data);
        // Per-mesh local frames (f32 offsets from an f64 origin) and, for models drawn
        // at map coordinates, an RTC anchor subtracted in f64 before any f32 cast.
        let mut router = GeometryRouter::from_config(RouterConfig {
            unit_scale: frame.unit_scale,
            rtc_offset: frame.rtc,
            local_frame: Some(true),
            ..RouterConfig::default()
        });
        self.caches.arm(&mut router);
        router.register(Box::new(crate::clip::ClipProcessor::new()));
        router.register(Box::new(crate::primitive::PrimitiveProcessor::new()));
        router.register(Box::new(crate::tube::TubeProcessor::new()));
        router.register(Box::new(crate::union::WholeUnions::booleans()));
        router.register(Box::new(crate::union::WholeUnions::csg()));
        (dec, router)
    }

    /// `f` on product `id` with this worker's decoder and router, a kernel panic
    /// caught and reported as an error.
    fn guarded<T>(
        &self,
        w: &mut Worker<'d>,
        id: u32,
        f: impl FnOnce(&DecodedEntity, &mut EntityDecoder<'d>, &GeometryRouter) -> Result<T, String>,
    ) -> Result<T, String> {
        let (dec, router) = w.get_or_insert_with(|| self.worker());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let ent = dec.decode_by_id(id).map_err(|e| e.to_string())?;
            f(&ent, dec, router)
        }));
        if let Some((dec, _)) = w.as_mut() {
            bound_cache(dec);
        }
        result.unwrap_or_else(|_| {
            // A panicking kernel may have left this worker's decoder and router
            // inconsistent: start afresh. The shared caches only ever receive an
            // item's finished mesh (ifc-lite publishes after meshing), and their
            // locks are read through poisoning, so they stay usable.
            *w = None;
            Err("geometry kernel panicked".into())
        })
    }

    /// The mesh of product `id` ([`Mesher::bake`]), every vertex in place.
    fn bake_id(&self, w: &mut Worker<'d>, id: u32) -> Result<Option<Mesh>, String> {
        self.guarded(w, id, |ent, dec, router| self.bake(ent, dec, router))
    }

    /// Product `id` meshed (by `tess.rs` or `extrude.rs` for the bodies they take,
    /// else by ifc-lite),
    /// or, when it is one occurrence of a mapped family (`instance`), that occurrence.
    fn first_pass(&self, w: &mut Worker<'d>, id: u32) -> Slot {
        let mut occ = None;
        let r = self.guarded(w, id, |ent, dec, router| {
            // Before the occurrence test: its walk would decode the face sets whole.
            if let Some(m) = self.own_mesh(ent, dec, router) {
                return Ok(Some(m));
            }
            occ = instance::occurrence(ent, dec, router);
            match occ {
                Some(_) => Ok(None),
                None => self.lite_mesh(ent, dec, router),
            }
        });
        match occ {
            Some(o) => Slot::Occurrence(o),
            None => Slot::Meshed(r),
        }
    }

    /// Each family decided by its first occurrence in product order, those
    /// occurrences baked in parallel, counted on `meter` and left in their slots as
    /// ifc-lite meshed them.
    fn decide_families(
        &self,
        slots: &mut [(u32, Slot)],
        meter: &Meter,
    ) -> Result<instance::Families, IfcError> {
        let mut seen = HashSet::default();
        let mut firsts: Vec<&mut (u32, Slot)> = slots
            .iter_mut()
            .filter(|(_, s)| matches!(s, Slot::Occurrence(o) if seen.insert(o.map())))
            .collect();
        let decided: Vec<(u32, instance::Family)> = firsts
            .par_iter_mut()
            .map_init(Worker::default, |w, first| {
                let (id, slot) = &mut **first;
                let Slot::Occurrence(occ) = &*slot else {
                    unreachable!("only occurrences were picked");
                };
                let baked = self.bake_id(w, *id);
                let mesh = baked.as_ref().ok().and_then(Option::as_ref);
                let decided = (
                    occ.map(),
                    instance::Family::decide(occ, mesh, &self.caches.mapped),
                );
                *slot = Slot::Meshed(baked);
                meter.add(1).map(|()| decided)
            })
            .collect::<Result<_, _>>()?;
        let mut families = instance::Families::default();
        for (map, family) in decided {
            families.insert(map, family);
        }
        Ok(families)
    }

    /// The representation maps (mapped families) of `maps` one of whose items ifc-lite
    /// cannot mesh, with the reason. ifc-lite's mapped walk skips such an item and
    /// meshes the family from the rest, telling no element: a family of a slab and an
    /// unreadable extrusion came out as the slab. Each family's own items are meshed
    /// once here, in parallel, through the same router; a family placing a lossy
    /// family is lossy too.
    fn lossy_families(&self, maps: &[u32]) -> HashMap<u32, String> {
        let checked: Vec<(u32, Family)> = maps
            .par_iter()
            .map_init(Worker::default, |w, &map| {
                let family =
                    self.guarded(w, map, |ent, dec, router| Ok(family_loss(ent, dec, router)));
                let family = family.unwrap_or_else(|why| Family {
                    lost: Some(why),
                    nested: Vec::new(),
                });
                (map, family)
            })
            .collect();
        let mut lossy: HashMap<u32, String> = (checked.iter())
            .filter_map(|(map, f)| Some((*map, f.lost.clone()?)))
            .collect();
        // A family placing a lossy family is lossy too, up any depth of nesting.
        loop {
            let more: Vec<(u32, String)> = (checked.iter())
                .filter(|(map, _)| !lossy.contains_key(map))
                .filter_map(|(map, f)| {
                    let inner = f.nested.iter().find(|m| lossy.contains_key(*m))?;
                    Some((
                        *map,
                        format!("its nested family #{inner}: {}", lossy[inner]),
                    ))
                })
                .collect();
            if more.is_empty() {
                return lossy;
            }
            lossy.extend(more);
        }
    }

    /// Our mesh of a tessellated body or an extruded parametric profile (`tess.rs`,
    /// `extrude.rs`), when `ent` is one and we mesh them.
    fn own_mesh(
        &self,
        ent: &DecodedEntity,
        dec: &mut EntityDecoder<'d>,
        router: &GeometryRouter,
    ) -> Option<Mesh> {
        tess::mesh(ent, dec, router, self.own)
    }

    /// The mesh of `ent`, every vertex in place: ifc-lite's, or ours for a
    /// tessellated body or an extruded parametric profile.
    fn bake(
        &self,
        ent: &DecodedEntity,
        dec: &mut EntityDecoder<'d>,
        router: &GeometryRouter,
    ) -> Result<Option<Mesh>, String> {
        match self.own_mesh(ent, dec, router) {
            Some(m) => Ok(Some(m)),
            None => self.lite_mesh(ent, dec, router),
        }
    }

    /// ifc-lite's mesh of `ent`, every vertex in place.
    fn lite_mesh(
        &self,
        ent: &DecodedEntity,
        dec: &mut EntityDecoder<'d>,
        router: &GeometryRouter,
    ) -> Result<Option<Mesh>, String> {
        match router.process_element(ent, dec) {
            Ok(m) if m.indices.is_empty() => Ok(None),
            Ok(m) => {
                // Every mesh is relative to the RTC anchor once it leaves the router.
                let r = self.frame.rtc;
                let origin = [m.origin[0] + r.0, m.origin[1] + r.1, m.origin[2] + r.2];
                Ok(Some(Mesh::new(origin, m.positions, m.indices)))
            }
            Err(e) => {
                // Products without a body representation are not failures.
                if ent.get(6).is_none_or(AttributeValue::is_null) {
                    Ok(None)
                } else {
                    Err(e.to_string())
                }
            }
        }
    }
}

/// Whether the body items of representation map `map` all mesh (else the first item
/// that does not, and the kernel's error), and which maps its mapped items place
/// (checked as families of their own; [`Mesher::lossy_families`] carries a loss up).
fn family_loss(map: &DecodedEntity, dec: &mut EntityDecoder, router: &GeometryRouter) -> Family {
    let mut family = Family {
        lost: None,
        nested: Vec::new(),
    };
    family.lost = own_items_loss(map, dec, router, &mut family.nested);
    family
}

/// What [`family_loss`] finds of one representation map.
struct Family {
    /// Why one of its own items did not mesh.
    lost: Option<String>,
    /// The maps its mapped items place.
    nested: Vec<u32>,
}

/// [`family_loss`]'s reading of `map`'s own items, the maps they place into `nested`.
fn own_items_loss(
    map: &DecodedEntity,
    dec: &mut EntityDecoder,
    router: &GeometryRouter,
    nested: &mut Vec<u32>,
) -> Option<String> {
    use ifc_lite_geometry::representation::rep_item_ids;
    let rep = dec.decode_by_id(map.get_ref(1)?).ok()?;
    let kind = rep
        .get_string(2)
        .or_else(|| rep.get_string(1))
        .unwrap_or("");
    if !matches!(
        kind,
        "Body"
            | "SweptSolid"
            | "Brep"
            | "CSG"
            | "Clipping"
            | "Tessellation"
            | "SolidModel"
            | "SurfaceModel"
            | "AdvancedSweptSolid"
            | "AdvancedBrep"
            | "AdvancedSurface"
            | "MappedRepresentation"
            | ""
    ) {
        return None;
    }
    for id in rep_item_ids(&rep).collect::<Vec<_>>() {
        let Ok(item) = dec.decode_by_id(id) else {
            return Some(format!(
                "item #{id} of mapped family #{} could not be decoded",
                map.id
            ));
        };
        if item.ifc_type == IfcType::IfcMappedItem {
            nested.extend(item.get_ref(0));
            continue;
        }
        if let Err(e) = router.process_representation_item(&item, dec) {
            return Some(format!(
                "item #{id} ({}) of its mapped family #{} could not be meshed: {e}",
                item.ifc_type.name(),
                map.id
            ));
        }
    }
    None
}

/// RepresentationType values defined by IFC (IfcShapeRepresentation informal propositions).
const STANDARD_REP_TYPES: &[&str] = &[
    "Point",
    "PointCloud",
    "Curve",
    "Curve2D",
    "Curve3D",
    "Segment",
    "Surface",
    "Surface2D",
    "Surface3D",
    "FillArea",
    "Text",
    "AdvancedSurface",
    "GeometricSet",
    "GeometricCurveSet",
    "Annotation2D",
    "SurfaceModel",
    "Tessellation",
    "Brep",
    "AdvancedBrep",
    "SweptSolid",
    "AdvancedSweptSolid",
    "CSG",
    "Clipping",
    "BoundingBox",
    "SectionedSpine",
    "LightSource",
    "MappedRepresentation",
    "SolidModel",
    "Body",
    "Cable",
    "Segment",
];

/// Body representations whose RepresentationType is not an IFC value (e.g. an exporter's
/// 'Error in labeling process') would be skipped by the mesher; unset the label so the
/// geometry is meshed by its items, and say so.
fn fix_representation_types(data: &[u8], scan: &step::Scan) -> Option<(Vec<u8>, Vec<Diagnostic>)> {
    let mut edits = Vec::new();
    let mut diags = Vec::new();
    for r in scan
        .kinds
        .records_of(&scan.records, "IFCSHAPEREPRESENTATION")
    {
        let args = step::arg_spans(data, r);
        let (Some(ident), Some(kind)) = (args.get(1), args.get(2)) else {
            continue;
        };
        let text = |(s, e): (usize, usize)| String::from_utf8_lossy(&data[s..e]).trim().to_owned();
        let ident = text(*ident);
        let label = text(*kind);
        let inner = label.trim_matches('\'');
        if ident.trim_matches('\'') != "Body"
            || !label.starts_with('\'')
            || STANDARD_REP_TYPES.contains(&inner)
        {
            continue;
        }
        if diags.len() < 20 {
            diags.push(
                Diagnostic::warn(
                    "nonstandard_representation_type",
                    format!("#{}: Body RepresentationType '{inner}' is not an IFC value; meshed by its items", r.id),
                )
                .at_entity(r.id)
                .at_offset(kind.0),
            );
        }
        edits.push((kind.0, kind.1, "$".to_string()));
    }
    (!edits.is_empty()).then(|| (step::apply_edits(data, edits), diags))
}

/// Row-major 3x4 affine transform.
type Affine = [[f64; 4]; 3];

/// `a · b`: `b` applied first.
fn compose(a: &Affine, b: &Affine) -> Affine {
    std::array::from_fn(|r| {
        std::array::from_fn(|c| {
            let v: f64 = (0..3).map(|k| a[r][k] * b[k][c]).sum();
            if c == 3 {
                v + a[r][3]
            } else {
                v
            }
        })
    })
}

fn coords(rd: &mut Reader, id: Option<u32>) -> Option<Vec<f64>> {
    let e = rd.get(id?)?;
    let l = e.get(0)?.as_list()?;
    Some(l.iter().filter_map(AttributeValue::as_float).collect())
}

fn normalise(v: [f64; 3]) -> Option<[f64; 3]> {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    (n > 1e-12).then(|| [v[0] / n, v[1] / n, v[2] / n])
}

/// World transform of an IfcLocalPlacement chain (file length units).
fn placement_matrix(rd: &mut Reader, id: u32, depth: usize) -> Option<Affine> {
    if depth > 64 {
        return None;
    }
    let lp = rd.get(id)?;
    let rel = rd.get(lp.get_ref(1)?)?;
    let loc = coords(rd, rel.get_ref(0)).unwrap_or_default();
    let o = [
        loc.first().copied().unwrap_or(0.0),
        loc.get(1).copied().unwrap_or(0.0),
        loc.get(2).copied().unwrap_or(0.0),
    ];
    // IfcAxis2Placement3D: Axis (z) and RefDirection (x); 2D placements have neither.
    // Directions with fewer than two ratios are malformed: fall back to the defaults.
    let dir = |v: Vec<f64>| match v.as_slice() {
        [a, b, rest @ ..] => normalise([*a, *b, rest.first().copied().unwrap_or(0.0)]),
        _ => None,
    };
    let z = coords(rd, rel.get_ref(1))
        .and_then(dir)
        .unwrap_or([0.0, 0.0, 1.0]);
    let xr = coords(rd, rel.get_ref(2))
        .and_then(dir)
        .unwrap_or([1.0, 0.0, 0.0]);
    // Make x orthogonal to z, then y = z x x.
    let d = xr[0] * z[0] + xr[1] * z[1] + xr[2] * z[2];
    let x = normalise([xr[0] - d * z[0], xr[1] - d * z[1], xr[2] - d * z[2]])
        .unwrap_or([1.0, 0.0, 0.0]);
    let y = [
        z[1] * x[2] - z[2] * x[1],
        z[2] * x[0] - z[0] * x[2],
        z[0] * x[1] - z[1] * x[0],
    ];
    let local: Affine = [
        [x[0], y[0], z[0], o[0]],
        [x[1], y[1], z[1], o[1]],
        [x[2], y[2], z[2], o[2]],
    ];
    match lp
        .get_ref(0)
        .and_then(|p| placement_matrix(rd, p, depth + 1))
    {
        Some(parent) => Some(compose(&parent, &local)),
        None => Some(local),
    }
}

/// Beyond this distance (m) an f32 coordinate is coarser than 4 mm.
const LARGE_PROFILE_M: f64 = 50_000.0;

/// Coordinates beyond this (m) are meshed relative to an anchor (ifc-lite's threshold).
const RTC_THRESHOLD_M: f64 = ifc_lite_core::limits::LARGE_COORD_THRESHOLD_METERS;

/// Records a worker of [`PointExtent::of`] looks through at a time.
const POINT_CHUNK: usize = 16_384;

/// Extent of all IfcCartesianPoints, in metres.
struct PointExtent {
    bounds: Option<BBox>,
    /// Largest |coordinate| among 2-D points (profiles).
    far_profile_m: f64,
}

impl PointExtent {
    /// Over every IfcCartesianPoint, across the cores: the extent is a min, a max and
    /// a largest absolute value, the same in any order.
    fn of(data: &[u8], records: &[step::Record], kinds: &step::Kinds, scale: f64) -> PointExtent {
        match kinds.slot("IFCCARTESIANPOINT") {
            Some(slot) => PointExtent::over(data, records, &kinds.of, slot, scale),
            None => PointExtent::EMPTY,
        }
    }

    /// The records whose kind (`kinds[i]` for `records[i]`) is `slot`.
    fn over(
        data: &[u8],
        records: &[step::Record],
        kinds: &[u16],
        slot: u16,
        scale: f64,
    ) -> PointExtent {
        use rayon::prelude::*;
        records
            .par_iter()
            .zip(kinds.par_iter())
            .with_min_len(POINT_CHUNK)
            .fold(
                || PointExtent::EMPTY,
                |mut e, (r, &k)| {
                    if k == slot {
                        e.add(&data[r.start..r.end], scale);
                    }
                    e
                },
            )
            .reduce(|| PointExtent::EMPTY, PointExtent::merge)
    }

    const EMPTY: PointExtent = PointExtent {
        bounds: None,
        far_profile_m: 0.0,
    };

    /// One point record: its two or three coordinates that read as finite numbers.
    fn add(&mut self, body: &[u8], scale: f64) {
        let (Some(a), Some(b)) = (
            memchr::memmem::find(body, b"(("),
            memchr::memrchr(b')', body),
        ) else {
            return;
        };
        let inner = &body[a + 2..b.saturating_sub(1).max(a + 2)];
        let mut v = [0.0f64; 3];
        let mut n = 0;
        let numbers = inner.split(|c| *c == b',').filter_map(|t| {
            std::str::from_utf8(t)
                .ok()?
                .trim()
                .trim_end_matches(')')
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
        });
        for x in numbers {
            if n == 3 {
                return; // more than three coordinates: not a point
            }
            v[n] = x;
            n += 1;
        }
        if n < 2 {
            return;
        }
        let p = [
            v[0] * scale,
            v[1] * scale,
            if n == 3 { v[2] * scale } else { 0.0 },
        ];
        match &mut self.bounds {
            Some(b) => b.include(p),
            None => self.bounds = Some(BBox { min: p, max: p }),
        }
        if n == 2 {
            self.far_profile_m = self.far_profile_m.max(p[0].abs().max(p[1].abs()));
        }
    }

    fn merge(self, other: PointExtent) -> PointExtent {
        let bounds = match (self.bounds, other.bounds) {
            (Some(mut a), Some(b)) => {
                a.union(&b);
                Some(a)
            }
            (a, b) => a.or(b),
        };
        PointExtent {
            bounds,
            far_profile_m: self.far_profile_m.max(other.far_profile_m),
        }
    }

    /// Meshing frame: the extent's centre as RTC anchor once any coordinate is large.
    fn frame(&self, unit_scale: f64) -> Frame {
        let rtc = match self.bounds {
            Some(b)
                if b.min
                    .iter()
                    .chain(&b.max)
                    .any(|v| v.abs() > RTC_THRESHOLD_M) =>
            {
                let c = |k: usize| (b.min[k] + b.max[k]) / 2.0;
                (c(0), c(1), c(2))
            }
            _ => (0.0, 0.0, 0.0),
        };
        Frame { unit_scale, rtc }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(ids: &[u64]) -> Vec<step::Record> {
        (ids.iter().enumerate())
            .map(|(i, &id)| step::Record {
                id,
                start: 10 * i,
                end: 10 * i + 7,
            })
            .collect()
    }

    /// Every id's span as the records give it, and none for ids not there.
    fn spans_agree(index: &Index, records: &[step::Record]) {
        for r in records {
            assert_eq!(index.span(r.id as u32), Some((r.start, r.end)), "#{}", r.id);
        }
        let known: std::collections::BTreeSet<u64> = records.iter().map(|r| r.id).collect();
        for id in (0..64).filter(|id| !known.contains(id)) {
            assert_eq!(index.span(id as u32), None, "#{id}");
        }
    }

    /// A DATA section of these point records, scanned.
    fn points(list: &[String]) -> (Vec<u8>, step::Scan) {
        let data: String = (list.iter().enumerate())
            .map(|(i, p)| format!("#{}=IFCCARTESIANPOINT(({p}));\n", i + 1))
            .collect();
        let b = format!("ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#999999=IFCWALL($);\n{data}ENDSEC;\nEND-ISO-10303-21;\n")
            .into_bytes();
        let scan = step::scan(&b, "t").unwrap();
        (b, scan)
    }

    #[test]
    fn the_point_extent_by_hand() {
        let (b, s) = points(&[
            "1.,2.,3.".into(),
            "-4000.,5000.".into(),
            "1.,x,2.".into(),
            "1.,2.,3.,4.".into(),
            "7.".into(),
        ]);
        let e = PointExtent::of(&b, &s.records, &s.kinds, 0.001);
        // (1, 2, 3) mm, the profile point (-4, 5) m, and (1, 2) mm read from '1.,x,2.';
        // four coordinates and one are not points.
        let bb = e.bounds.unwrap();
        assert_eq!(bb.min, [-4.0, 0.002, 0.0]);
        assert_eq!(bb.max, [0.001, 5.0, 0.003]);
        assert_eq!(e.far_profile_m, 5.0);
    }

    proptest::proptest! {
        /// Split anywhere, the two extents merged are the whole one's.
        #[test]
        fn point_extents_merge_to_the_whole(
            coords in proptest::collection::vec((-1e7f64..1e7, -1e7f64..1e7, proptest::option::of(-1e4f64..1e4)), 1..60),
            cut in 0usize..61,
        ) {
            let list: Vec<String> = coords
                .iter()
                .map(|(x, y, z)| match z {
                    Some(z) => format!("{x:?},{y:?},{z:?}"),
                    None => format!("{x:?},{y:?}"),
                })
                .collect();
            let (b, s) = points(&list);
            let slot = s.kinds.slot("IFCCARTESIANPOINT").unwrap();
            let whole = PointExtent::of(&b, &s.records, &s.kinds, 1.0);
            let k = cut.min(s.records.len());
            let (r, o) = (&s.records, &s.kinds.of);
            let merged = PointExtent::over(&b, &r[..k], &o[..k], slot, 1.0)
                .merge(PointExtent::over(&b, &r[k..], &o[k..], slot, 1.0));
            let boxes = |e: &PointExtent| e.bounds.map(|b| (b.min, b.max));
            proptest::prop_assert_eq!(boxes(&whole), boxes(&merged));
            proptest::prop_assert_eq!(whole.far_profile_m, merged.far_profile_m);
            // And the box is the coordinates' own.
            let xs = coords.iter().map(|c| c.0);
            proptest::prop_assert_eq!(whole.bounds.unwrap().max[0], xs.fold(f64::MIN, f64::max));
        }
    }

    #[test]
    fn a_later_property_overrides_an_earlier_one_with_its_key() {
        let pair = |k: &str, v: i64| (k.to_string(), serde_json::json!(v));
        // Type set, then occurrence sets: the occurrence's value stands.
        let m: Properties = [
            pair("P.a", 1),
            pair("P.b", 2),
            pair("P.a", 3),
            pair("Q.a", 4),
            pair("P.a", 5),
        ]
        .into_iter()
        .collect();
        let got: Vec<(&str, i64)> = m
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_i64().unwrap()))
            .collect();
        assert_eq!(got, vec![("P.a", 5), ("P.b", 2), ("Q.a", 4)]);
        assert!(Properties::last_wins(Vec::new()).is_empty());
    }

    #[test]
    fn dense_ids_get_a_table_and_sparse_ones_columns_with_the_same_spans() {
        let data = [0u8; 1000];
        // In file order but not ascending, with a gap: still dense enough.
        let dense = recs(&[3, 1, 2, 7, 5, 6, 4, 9]);
        let index = Index::of(&data, &dense);
        assert!(matches!(index, Index::Dense(_)));
        spans_agree(&index, &dense);
        // A million-wide range for three records: columns.
        let sparse = recs(&[1, 40, 1_000_000]);
        let index = Index::of(&data, &sparse);
        assert!(matches!(index, Index::Columns(_)));
        spans_agree(&index, &sparse);
        // A decoder over either finds a record by its id.
        let mut text = String::new();
        let mut rows = Vec::new();
        for id in [1u64, 2, 3, 4, 900] {
            let start = text.len();
            text += &format!("#{id}=IFCDIRECTION(({id}.,0.,0.));");
            rows.push(step::Record {
                id,
                start,
                end: text.len(),
            });
        }
        let data = text.as_bytes();
        let dense = Index::of(data, &rows[..4]);
        let columns = Index::of(data, &rows);
        assert!(matches!(dense, Index::Dense(_)));
        assert!(matches!(columns, Index::Columns(_)));
        for (index, id) in [(dense, 4), (columns, 900)] {
            let e = index.decoder(data).decode_by_id(id).unwrap();
            assert_eq!(e.ifc_type, IfcType::IfcDirection);
            assert_eq!(e.get(0).and_then(|v| v.as_list()).map(|l| l.len()), Some(3));
        }
    }
}
