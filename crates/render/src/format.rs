//! The twin scene format `zhishen.twin/1`: a glTF 2.0 binary (GLB) with the review's
//! meaning in `extras` (`docs/twin-glb.md`). The server writes it (`TwinScene::to_glb`,
//! from `zhishen-twin`), the browser viewer and the snapshot renderer read it
//! (`TwinScene::from_glb`). Pure data: no GPU, no GDAL, so it builds for wasm32.
//!
//! Coordinates: glTF is Y-up and metres. A site point (E, N, Z) is stored as
//! `[E − oE, Z − oZ, −(N − oN)]` relative to the scene's `origin` (f64, site CRS), so
//! f32 keeps millimetres across a district. No NORMAL attribute: the renderer shades
//! flat, as glTF asks of a client when normals are missing.

use gltf_json as json;
use json::validation::Checked::Valid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "zhishen.twin/1";

/// What a node shows; the viewer's layer switches act on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The submitted building's elements.
    Building,
    Ground,
    /// 地块 / 用地红线.
    Parcel,
    /// 道路红线.
    RoadRedLine,
    /// 蓝线.
    BlueLine,
    /// 绿线.
    GreenLine,
    /// 紫线.
    PurpleLine,
    /// 黄线.
    YellowLine,
    /// 建筑控制线.
    BuildingControlLine,
    /// 限高区, a translucent volume up to the limit.
    HeightZone,
    /// 现状建筑, extruded from their heights.
    ExistingBuilding,
    /// 绿地.
    GreenArea,
    /// The geometry a finding is measured on: a setback segment, the part outside a
    /// line, the part above a height limit.
    Evidence,
}

impl Layer {
    pub const ALL: [Layer; 13] = [
        Layer::Building,
        Layer::Ground,
        Layer::Parcel,
        Layer::RoadRedLine,
        Layer::BlueLine,
        Layer::GreenLine,
        Layer::PurpleLine,
        Layer::YellowLine,
        Layer::BuildingControlLine,
        Layer::HeightZone,
        Layer::ExistingBuilding,
        Layer::GreenArea,
        Layer::Evidence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Building => "building",
            Layer::Ground => "ground",
            Layer::Parcel => "parcel",
            Layer::RoadRedLine => "road_red_line",
            Layer::BlueLine => "blue_line",
            Layer::GreenLine => "green_line",
            Layer::PurpleLine => "purple_line",
            Layer::YellowLine => "yellow_line",
            Layer::BuildingControlLine => "building_control_line",
            Layer::HeightZone => "height_zone",
            Layer::ExistingBuilding => "existing_building",
            Layer::GreenArea => "green_area",
            Layer::Evidence => "evidence",
        }
    }

    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Bilingual label for the layer switches.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Layer::Building => ("送审建筑", "Submitted building"),
            Layer::Ground => ("地面", "Ground"),
            Layer::Parcel => ("用地红线", "Parcel"),
            Layer::RoadRedLine => ("道路红线", "Road red line"),
            Layer::BlueLine => ("蓝线", "Blue line"),
            Layer::GreenLine => ("绿线", "Green line"),
            Layer::PurpleLine => ("紫线", "Purple line"),
            Layer::YellowLine => ("黄线", "Yellow line"),
            Layer::BuildingControlLine => ("建筑控制线", "Building control line"),
            Layer::HeightZone => ("限高区", "Height zone"),
            Layer::ExistingBuilding => ("现状建筑", "Existing buildings"),
            Layer::GreenArea => ("绿地", "Green area"),
            Layer::Evidence => ("核验证据", "Evidence"),
        }
    }
}

/// An element's review state, which picks its colour.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Not named by any finding.
    #[default]
    None,
    /// Named by a failed check: the violation colour.
    Fail,
    /// Named by a check that could not be verified.
    Unverifiable,
}

/// Linear RGBA colours, one table for the writer's materials, the renderer and the
/// render tests.
pub mod palette {
    pub const ELEMENT: [f32; 4] = [0.80, 0.80, 0.78, 1.0];
    /// The violation colour: magenta, so it is never confused with a red line.
    pub const FAIL: [f32; 4] = [0.90, 0.05, 0.75, 1.0];
    pub const UNVERIFIABLE: [f32; 4] = [1.0, 0.62, 0.0, 1.0];
    pub const SELECTED: [f32; 4] = [0.10, 0.55, 1.0, 1.0];
    pub const GROUND: [f32; 4] = [0.86, 0.88, 0.84, 1.0];
    pub const PARCEL: [f32; 4] = [0.74, 0.87, 0.70, 1.0];
    pub const RED_LINE: [f32; 4] = [1.0, 0.0, 0.0, 1.0];
    pub const BLUE_LINE: [f32; 4] = [0.10, 0.35, 0.95, 1.0];
    pub const GREEN_LINE: [f32; 4] = [0.05, 0.60, 0.10, 1.0];
    pub const PURPLE_LINE: [f32; 4] = [0.50, 0.15, 0.70, 1.0];
    pub const YELLOW_LINE: [f32; 4] = [0.85, 0.75, 0.0, 1.0];
    pub const CONTROL_LINE: [f32; 4] = [0.0, 0.55, 0.85, 1.0];
    pub const HEIGHT_ZONE: [f32; 4] = [0.20, 0.60, 0.95, 0.16];
    pub const EXISTING: [f32; 4] = [0.62, 0.60, 0.57, 1.0];
    pub const GREEN_AREA: [f32; 4] = [0.50, 0.76, 0.42, 1.0];
    /// The measured segment of a finding.
    pub const EVIDENCE: [f32; 4] = [1.0, 0.85, 0.0, 1.0];
}

/// The colour a node is drawn in before any viewer state (selection, x-ray).
pub fn colour(layer: Layer, mark: Mark) -> [f32; 4] {
    use palette::*;
    match (layer, mark) {
        // Evidence keeps its own colour: it must stand out against the violating element.
        (Layer::Evidence, _) => EVIDENCE,
        (_, Mark::Fail) => FAIL,
        (_, Mark::Unverifiable) => UNVERIFIABLE,
        (Layer::Building, _) => ELEMENT,
        (Layer::Ground, _) => GROUND,
        (Layer::Parcel, _) => PARCEL,
        (Layer::RoadRedLine, _) => RED_LINE,
        (Layer::BlueLine, _) => BLUE_LINE,
        (Layer::GreenLine, _) => GREEN_LINE,
        (Layer::PurpleLine, _) => PURPLE_LINE,
        (Layer::YellowLine, _) => YELLOW_LINE,
        (Layer::BuildingControlLine, _) => CONTROL_LINE,
        (Layer::HeightZone, _) => HEIGHT_ZONE,
        (Layer::ExistingBuilding, _) => EXISTING,
        (Layer::GreenArea, _) => GREEN_AREA,
    }
}

/// What the viewer and the snapshots know of a node (glTF node `extras`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub layer: Option<Layer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_id: Option<String>,
    /// IFC class (`IfcWall`) or the site feature's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Storey GlobalId (see `TwinMeta::storeys`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storey: Option<String>,
    #[serde(default)]
    pub mark: Mark,
    /// 1-based numbers of the findings that name this node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<usize>,
    /// Property sets as `Pset.Name` → text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub props: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreyInfo {
    pub global_id: String,
    pub name: Option<String>,
    pub elevation_m: Option<f64>,
}

/// Where the camera goes for a finding: a box in local (glTF) coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    pub min: [f32; 3],
    pub max: [f32; 3],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    /// 1-based; `finding:N` in views and links.
    pub number: usize,
    pub check: String,
    /// `fail` or `unverifiable`.
    pub mark: Mark,
    pub title_zh: String,
    pub title_en: String,
    pub measured: Option<f64>,
    pub limit: Option<f64>,
    pub unit: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    /// GlobalIds of the elements the finding names.
    pub elements: Vec<String>,
    pub focus: Option<Focus>,
    /// A point to pin the measured value to (local coordinates), e.g. a segment's middle.
    pub label_at: Option<[f32; 3]>,
}

/// Scene-wide facts (glTF root `extras`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwinMeta {
    pub schema: String,
    /// The review job the scene was built from.
    pub review: Option<String>,
    pub crs: String,
    /// Site coordinates (E, N, Z) of the local origin.
    pub origin: [f64; 3],
    pub parcel: Option<String>,
    pub storeys: Vec<StoreyInfo>,
    pub findings: Vec<FindingInfo>,
}

impl TwinMeta {
    /// Scene facts with no review, parcel, storeys or findings (tests, benchmarks).
    pub fn bare(origin: [f64; 3]) -> TwinMeta {
        TwinMeta {
            schema: SCHEMA.into(),
            review: None,
            crs: String::new(),
            origin,
            parcel: None,
            storeys: vec![],
            findings: vec![],
        }
    }
}

/// One mesh: positions in local coordinates, triangle list indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

impl MeshData {
    pub fn bbox(&self) -> Option<([f32; 3], [f32; 3])> {
        let mut it = self.positions.iter();
        let first = *it.next()?;
        let (mut lo, mut hi) = (first, first);
        for p in it {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        Some((lo, hi))
    }
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }
}

/// A placed mesh. Identical meshes are instanced: several nodes share one `mesh`
/// with different translations.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeData {
    pub mesh: usize,
    pub translation: [f32; 3],
    pub info: NodeInfo,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TwinScene {
    pub meta: TwinMeta,
    pub meshes: Vec<MeshData>,
    pub nodes: Vec<NodeData>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("twin GLB: {0}")]
    Glb(String),
    #[error("twin GLB JSON: {0}")]
    Json(String),
    #[error("twin GLB: {what} {index}: {msg}")]
    Item {
        what: &'static str,
        index: usize,
        msg: String,
    },
}

/// Site (E, N, Z) → local glTF coordinates.
pub fn to_local(origin: [f64; 3], e: f64, n: f64, z: f64) -> [f32; 3] {
    [
        (e - origin[0]) as f32,
        (z - origin[2]) as f32,
        -(n - origin[1]) as f32,
    ]
}

/// Local glTF coordinates → site (E, N, Z).
pub fn to_site(origin: [f64; 3], p: [f32; 3]) -> [f64; 3] {
    [
        origin[0] + f64::from(p[0]),
        origin[1] - f64::from(p[2]),
        origin[2] + f64::from(p[1]),
    ]
}

const GLB_MAGIC: u32 = 0x4654_6C67; // "glTF"
const CHUNK_JSON: u32 = 0x4E4F_534A;
const CHUNK_BIN: u32 = 0x004E_4942;

fn raw<T: Serialize>(v: &T) -> Result<json::Extras, FormatError> {
    let s = serde_json::to_string(v).map_err(|e| FormatError::Json(e.to_string()))?;
    json::extras::RawValue::from_string(s)
        .map(Some)
        .map_err(|e| FormatError::Json(e.to_string()))
}

fn pad4(v: &mut Vec<u8>, byte: u8) {
    while !v.len().is_multiple_of(4) {
        v.push(byte);
    }
}

impl TwinScene {
    pub fn triangle_count(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| self.meshes.get(n.mesh).map_or(0, MeshData::triangle_count))
            .sum()
    }

    /// Writes the scene as GLB: one buffer, per mesh a POSITION and an index accessor,
    /// one material per (layer, mark) colour, a node per placed mesh.
    pub fn to_glb(&self) -> Result<Vec<u8>, FormatError> {
        let mut w = GlbWriter {
            root: json::Root {
                asset: json::Asset {
                    generator: Some(format!("zhishen {}", env!("CARGO_PKG_VERSION"))),
                    version: "2.0".into(),
                    ..Default::default()
                },
                extras: raw(&self.meta)?,
                ..Default::default()
            },
            bin: Vec::new(),
            materials: BTreeMap::new(),
        };
        // A mesh takes the colour of its first node (instances share mark and layer).
        let mut mesh_material: Vec<Option<(Layer, Mark)>> = vec![None; self.meshes.len()];
        for n in &self.nodes {
            if let Some(slot) = mesh_material.get_mut(n.mesh) {
                slot.get_or_insert((n.info.layer.unwrap_or(Layer::Building), n.info.mark));
            }
        }
        for (i, m) in self.meshes.iter().enumerate() {
            let colour = mesh_material[i].unwrap_or((Layer::Building, Mark::None));
            let mesh = w.mesh(i, m, colour)?;
            w.root.meshes.push(mesh);
        }
        w.write_materials();
        let mut scene_nodes = Vec::with_capacity(self.nodes.len());
        for (i, n) in self.nodes.iter().enumerate() {
            if n.mesh >= self.meshes.len() {
                return Err(FormatError::Item {
                    what: "node",
                    index: i,
                    msg: format!("mesh {} does not exist", n.mesh),
                });
            }
            scene_nodes.push(w.root.push(json::Node {
                mesh: Some(json::Index::new(n.mesh as u32)),
                translation: (n.translation != [0.0; 3]).then_some(n.translation),
                name: n.info.global_id.clone(),
                extras: raw(&n.info)?,
                ..Default::default()
            }));
        }
        let scene = w.root.push(json::Scene {
            extensions: None,
            extras: None,
            name: Some("twin".into()),
            nodes: scene_nodes,
        });
        w.root.scene = Some(scene);
        w.finish()
    }

    /// Reads a `zhishen.twin/1` GLB; every offset and index is checked.
    pub fn from_glb(bytes: &[u8]) -> Result<TwinScene, FormatError> {
        let (root, bin) = split_glb(bytes)?;
        let meta: TwinMeta = match &root.extras {
            Some(r) => serde_json::from_str(r.get())
                .map_err(|e| FormatError::Json(format!("extras: {e}")))?,
            None => return Err(FormatError::Json("no extras: not a zhishen twin".into())),
        };
        if meta.schema != SCHEMA {
            return Err(FormatError::Json(format!(
                "schema {:?}, expected {SCHEMA}",
                meta.schema
            )));
        }
        let mut meshes = Vec::with_capacity(root.meshes.len());
        for (i, m) in root.meshes.iter().enumerate() {
            let item = |msg: String| FormatError::Item {
                what: "mesh",
                index: i,
                msg,
            };
            let prim = m
                .primitives
                .first()
                .ok_or_else(|| item("no primitive".into()))?;
            let pa = prim
                .attributes
                .get(&Valid(json::mesh::Semantic::Positions))
                .ok_or_else(|| item("no POSITION".into()))?;
            let pos = read_accessor(&root, bin, pa.value(), 12).map_err(item)?;
            let positions: Vec<[f32; 3]> = pos
                .chunks_exact(12)
                .map(|c| {
                    let f = |k: usize| f32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
                    [f(0), f(4), f(8)]
                })
                .collect();
            if positions.iter().flatten().any(|v| !v.is_finite()) {
                return Err(item("non-finite position".into()));
            }
            let ia = prim.indices.ok_or_else(|| item("no indices".into()))?;
            let acc = root
                .accessors
                .get(ia.value())
                .ok_or_else(|| item("index accessor missing".into()))?;
            let width = match acc.component_type {
                Valid(json::accessor::GenericComponentType(json::accessor::ComponentType::U32)) => {
                    4
                }
                Valid(json::accessor::GenericComponentType(json::accessor::ComponentType::U16)) => {
                    2
                }
                _ => return Err(item("indices are neither u16 nor u32".into())),
            };
            let ib = read_accessor(&root, bin, ia.value(), width).map_err(item)?;
            let indices: Vec<u32> = if width == 4 {
                ib.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            } else {
                ib.chunks_exact(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
                    .collect()
            };
            if indices.iter().any(|&k| k as usize >= positions.len())
                || !indices.len().is_multiple_of(3)
            {
                return Err(item("indices out of range or not a triangle list".into()));
            }
            meshes.push(MeshData { positions, indices });
        }
        let mut nodes = Vec::with_capacity(root.nodes.len());
        for (i, n) in root.nodes.iter().enumerate() {
            let item = |msg: String| FormatError::Item {
                what: "node",
                index: i,
                msg,
            };
            let Some(mesh) = n.mesh else { continue };
            if mesh.value() >= meshes.len() {
                return Err(item(format!("mesh {} does not exist", mesh.value())));
            }
            let info: NodeInfo = match &n.extras {
                Some(r) => {
                    serde_json::from_str(r.get()).map_err(|e| item(format!("extras: {e}")))?
                }
                None => NodeInfo::default(),
            };
            nodes.push(NodeData {
                mesh: mesh.value(),
                translation: n.translation.unwrap_or([0.0; 3]),
                info,
            });
        }
        Ok(TwinScene {
            meta,
            meshes,
            nodes,
        })
    }
}

/// The GLB under construction: the JSON root, the one binary buffer, and the materials
/// by colour in first-use order.
struct GlbWriter {
    root: json::Root,
    bin: Vec<u8>,
    materials: BTreeMap<(Layer, Mark), json::Index<json::Material>>,
}

impl GlbWriter {
    /// Appends bytes to the buffer (4-aligned) as a new buffer view.
    fn view(
        &mut self,
        bytes: &[u8],
        target: json::buffer::Target,
    ) -> json::Index<json::buffer::View> {
        let offset = self.bin.len();
        self.bin.extend_from_slice(bytes);
        pad4(&mut self.bin, 0);
        self.root.push(json::buffer::View {
            buffer: json::Index::new(0),
            byte_length: json::validation::USize64::from(bytes.len()),
            byte_offset: Some(json::validation::USize64::from(offset)),
            byte_stride: None,
            name: None,
            target: Some(Valid(target)),
            extensions: None,
            extras: None,
        })
    }

    /// One mesh: its positions and indices, checked, with the material of its colour.
    fn mesh(
        &mut self,
        i: usize,
        m: &MeshData,
        colour: (Layer, Mark),
    ) -> Result<json::Mesh, FormatError> {
        let item = |msg: &str| FormatError::Item {
            what: "mesh",
            index: i,
            msg: msg.into(),
        };
        let (lo, hi) = m.bbox().ok_or_else(|| item("no vertices"))?;
        if m.indices.iter().any(|&k| k as usize >= m.positions.len()) {
            return Err(item("index out of range"));
        }
        let pos: Vec<u8> = m
            .positions
            .iter()
            .flat_map(|p| p.iter().flat_map(|c| c.to_le_bytes()))
            .collect();
        let pv = self.view(&pos, json::buffer::Target::ArrayBuffer);
        let idx: Vec<u8> = m.indices.iter().flat_map(|k| k.to_le_bytes()).collect();
        let iv = self.view(&idx, json::buffer::Target::ElementArrayBuffer);
        use json::accessor::{ComponentType, Type};
        let pa = self.root.push(accessor(
            pv,
            m.positions.len(),
            ComponentType::F32,
            Type::Vec3,
            Some((lo, hi)),
        ));
        let ia = self.root.push(accessor(
            iv,
            m.indices.len(),
            ComponentType::U32,
            Type::Scalar,
            None,
        ));
        let next = json::Index::new(self.materials.len() as u32);
        let material = *self.materials.entry(colour).or_insert(next);
        let mut attributes = BTreeMap::new();
        attributes.insert(Valid(json::mesh::Semantic::Positions), pa);
        Ok(json::Mesh {
            extensions: None,
            extras: None,
            name: None,
            primitives: vec![json::mesh::Primitive {
                attributes,
                extensions: None,
                extras: None,
                indices: Some(ia),
                material: Some(material),
                mode: Valid(json::mesh::Mode::Triangles),
                targets: None,
            }],
            weights: None,
        })
    }

    /// The materials, in the index order the meshes refer to: the palette colour,
    /// blended when translucent, unlit-looking (no metal, fully rough).
    fn write_materials(&mut self) {
        let mut by_index: Vec<_> = self.materials.iter().map(|(k, v)| (*k, *v)).collect();
        by_index.sort_by_key(|(_, idx)| idx.value());
        for ((layer, mark), _) in by_index {
            let c = colour(layer, mark);
            self.root.materials.push(json::Material {
                name: Some(format!("{}:{mark:?}", layer.as_str())),
                alpha_mode: Valid(if c[3] < 1.0 {
                    json::material::AlphaMode::Blend
                } else {
                    json::material::AlphaMode::Opaque
                }),
                double_sided: true,
                pbr_metallic_roughness: json::material::PbrMetallicRoughness {
                    base_color_factor: json::material::PbrBaseColorFactor(c),
                    metallic_factor: json::material::StrengthFactor(0.0),
                    roughness_factor: json::material::StrengthFactor(1.0),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
    }

    /// The GLB container: header, JSON chunk (space-padded), BIN chunk.
    fn finish(mut self) -> Result<Vec<u8>, FormatError> {
        self.root.buffers.push(json::Buffer {
            byte_length: json::validation::USize64::from(self.bin.len()),
            extensions: None,
            extras: None,
            name: None,
            uri: None,
        });
        let mut js =
            json::serialize::to_vec(&self.root).map_err(|e| FormatError::Json(e.to_string()))?;
        pad4(&mut js, b' ');
        let total = 12 + 8 + js.len() + 8 + self.bin.len();
        let total =
            u32::try_from(total).map_err(|_| FormatError::Glb("larger than 4 GiB".into()))?;
        let mut out = Vec::with_capacity(total as usize);
        for word in [GLB_MAGIC, 2, total, js.len() as u32, CHUNK_JSON] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&js);
        out.extend_from_slice(&(self.bin.len() as u32).to_le_bytes());
        out.extend_from_slice(&CHUNK_BIN.to_le_bytes());
        out.extend_from_slice(&self.bin);
        Ok(out)
    }
}

fn accessor(
    view: json::Index<json::buffer::View>,
    count: usize,
    ct: json::accessor::ComponentType,
    ty: json::accessor::Type,
    bounds: Option<([f32; 3], [f32; 3])>,
) -> json::Accessor {
    json::Accessor {
        buffer_view: Some(view),
        byte_offset: None,
        count: json::validation::USize64::from(count),
        component_type: Valid(json::accessor::GenericComponentType(ct)),
        extensions: None,
        extras: None,
        type_: Valid(ty),
        min: bounds.map(|(lo, _)| serde_json::json!(lo)),
        max: bounds.map(|(_, hi)| serde_json::json!(hi)),
        name: None,
        normalized: false,
        sparse: None,
    }
}

fn split_glb(bytes: &[u8]) -> Result<(json::Root, &[u8]), FormatError> {
    let u32_at = |o: usize| -> Result<u32, FormatError> {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| FormatError::Glb(format!("truncated at byte {o}")))
    };
    if u32_at(0)? != GLB_MAGIC {
        return Err(FormatError::Glb("not a GLB (magic)".into()));
    }
    if u32_at(4)? != 2 {
        return Err(FormatError::Glb("GLB version is not 2".into()));
    }
    let total = u32_at(8)? as usize;
    if total > bytes.len() {
        return Err(FormatError::Glb(format!(
            "declares {total} bytes, has {}",
            bytes.len()
        )));
    }
    let jlen = u32_at(12)? as usize;
    if u32_at(16)? != CHUNK_JSON {
        return Err(FormatError::Glb("first chunk is not JSON".into()));
    }
    let js = bytes
        .get(20..20 + jlen)
        .ok_or_else(|| FormatError::Glb("JSON chunk truncated".into()))?;
    let root: json::Root =
        serde_json::from_slice(js).map_err(|e| FormatError::Json(e.to_string()))?;
    let at = 20 + jlen;
    let bin: &[u8] = if at + 8 <= total {
        let blen = u32_at(at)? as usize;
        if u32_at(at + 4)? != CHUNK_BIN {
            return Err(FormatError::Glb("second chunk is not BIN".into()));
        }
        bytes
            .get(at + 8..at + 8 + blen)
            .ok_or_else(|| FormatError::Glb("BIN chunk truncated".into()))?
    } else {
        &[]
    };
    Ok((root, bin))
}

/// The bytes of a tightly packed accessor of `elem` bytes per element.
fn read_accessor<'a>(
    root: &json::Root,
    bin: &'a [u8],
    index: usize,
    elem: usize,
) -> Result<&'a [u8], String> {
    let acc = root
        .accessors
        .get(index)
        .ok_or(format!("accessor {index} missing"))?;
    let vi = acc
        .buffer_view
        .ok_or(format!("accessor {index} has no buffer view"))?;
    let view = root
        .buffer_views
        .get(vi.value())
        .ok_or(format!("buffer view {} missing", vi.value()))?;
    if view.byte_stride.is_some_and(|s| s.0 != elem) {
        return Err(format!("buffer view {} is interleaved", vi.value()));
    }
    let start =
        view.byte_offset.map_or(0, |o| o.0 as usize) + acc.byte_offset.map_or(0, |o| o.0 as usize);
    let len = (acc.count.0 as usize)
        .checked_mul(elem)
        .ok_or(format!("accessor {index} count overflows"))?;
    if len > view.byte_length.0 as usize {
        return Err(format!("accessor {index} is longer than its view"));
    }
    bin.get(start..start.saturating_add(len))
        .ok_or(format!("accessor {index} lies outside the BIN chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TwinScene {
        let cube = MeshData {
            positions: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 2.0, 0.0],
                [0.0, 2.0, -3.0],
            ],
            indices: vec![0, 1, 2, 0, 2, 3],
        };
        TwinScene {
            meta: TwinMeta {
                schema: SCHEMA.into(),
                review: Some("7".into()),
                crs: "EPSG:4547".into(),
                origin: [500_000.25, 3_000_000.5, 12.0],
                parcel: Some("DK-1".into()),
                storeys: vec![],
                findings: vec![],
            },
            meshes: vec![cube],
            nodes: vec![
                NodeData {
                    mesh: 0,
                    translation: [0.0; 3],
                    info: NodeInfo {
                        layer: Some(Layer::Building),
                        global_id: Some("2O2Fr$t4X7Zf8NOew3FLOH".into()),
                        mark: Mark::Fail,
                        findings: vec![1],
                        ..Default::default()
                    },
                },
                NodeData {
                    mesh: 0,
                    translation: [5.0, 0.0, -1.5],
                    info: NodeInfo {
                        layer: Some(Layer::Building),
                        ..Default::default()
                    },
                },
            ],
        }
    }

    #[test]
    fn glb_round_trip_keeps_everything() {
        let s = sample();
        let glb = s.to_glb().unwrap();
        assert_eq!(&glb[0..4], b"glTF");
        assert_eq!(glb.len() % 4, 0);
        let back = TwinScene::from_glb(&glb).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.triangle_count(), 4);
    }

    #[test]
    fn bad_glb_is_an_error_not_a_panic() {
        let glb = sample().to_glb().unwrap();
        for cut in [0, 3, 12, 19, 40, glb.len() - 1] {
            assert!(TwinScene::from_glb(&glb[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong = glb.clone();
        wrong[0] = b'x';
        assert!(TwinScene::from_glb(&wrong).is_err());
    }

    #[test]
    fn site_local_round_trip() {
        let o = [500_000.0, 3_000_000.0, 10.0];
        let l = to_local(o, 500_012.345, 3_000_020.5, 13.0);
        assert_eq!(l, [12.345, 3.0, -20.5]);
        let s = to_site(o, l);
        assert!(
            (s[0] - 500_012.345).abs() < 1e-3 && (s[1] - 3_000_020.5).abs() < 1e-9 && s[2] == 13.0
        );
    }
}
