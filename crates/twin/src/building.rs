//! The submitted building 送审建筑: one node per meshed element, in site coordinates.
//!
//! Every element mesh is stored relative to its own bounding-box minimum and placed by
//! the node's translation, so repeated elements (windows, columns, identical storeys'
//! walls) share one mesh: the instancing key is the mesh's vertices relative to that
//! minimum, quantised to 0.1 mm, its indices and its mark (a glTF material belongs to
//! the mesh, so a failing window and a plain one cannot share one and keep their
//! colours in other glTF viewers). A mesh with non-finite coordinates is skipped with a
//! warning naming the element.

use crate::findings::Marks;
use crate::frame::{Bounds, Frame};
use crate::scene::SceneBuilder;
use crate::Limits;
use std::collections::{BTreeMap, HashMap};
use zhishen_ifc::{Element, Mesh, Model};
use zhishen_render::format::{Layer, Mark, MeshData, NodeInfo};

/// Instancing grid: 0.1 mm.
const QUANTUM_M: f64 = 1e-4;

/// A mesh in local coordinates relative to its box minimum.
#[derive(Debug)]
struct Local {
    min: [f64; 3],
    rel: Vec<[f64; 3]>,
    indices: Vec<u32>,
    /// Triangles left out for indices past the vertex list.
    dropped: usize,
}

#[derive(PartialEq, Eq, Hash)]
struct Key {
    mark: Mark,
    vertices: Vec<[i32; 3]>,
    indices: Vec<u32>,
}

impl Key {
    /// `None` when a coordinate is too large for the grid (no instancing then).
    fn of(m: &Local, mark: Mark) -> Option<Key> {
        let q = |v: f64| {
            let k = (v / QUANTUM_M).round();
            (k.abs() < f64::from(i32::MAX)).then_some(k as i32)
        };
        let vertices = m
            .rel
            .iter()
            .map(|p| Some([q(p[0])?, q(p[1])?, q(p[2])?]))
            .collect::<Option<Vec<_>>>()?;
        Some(Key {
            mark,
            vertices,
            indices: m.indices.clone(),
        })
    }
}

/// Model mesh → local, bbox-relative. `Err` says why it cannot be drawn.
fn to_local(frame: &Frame, mesh: &Mesh) -> Result<Option<Local>, String> {
    if !mesh.raw_positions().len().is_multiple_of(3) {
        return Err("vertex array length is not a multiple of 3".into());
    }
    let n = mesh.vertex_count();
    let mut pts = Vec::with_capacity(n);
    let mut min = [f64::INFINITY; 3];
    for i in 0..n {
        let s = frame.site_of_model(mesh.vertex(i));
        let p = frame.local(s[0], s[1], s[2]);
        if !p.iter().all(|v| v.is_finite()) {
            return Err(format!("vertex {i} has non-finite coordinates"));
        }
        for k in 0..3 {
            min[k] = min[k].min(p[k]);
        }
        pts.push(p);
    }
    let mut indices = Vec::with_capacity(mesh.indices().len());
    let mut dropped = 0;
    for t in mesh.indices().chunks_exact(3) {
        if t.iter().all(|&k| (k as usize) < n) {
            indices.extend_from_slice(t);
        } else {
            dropped += 1;
        }
    }
    if indices.is_empty() {
        return if dropped > 0 {
            Err(format!(
                "all {dropped} triangles index past its {n} vertices"
            ))
        } else {
            Ok(None)
        };
    }
    let rel = pts
        .iter()
        .map(|p| [p[0] - min[0], p[1] - min[1], p[2] - min[2]])
        .collect();
    Ok(Some(Local {
        min,
        rel,
        indices,
        dropped,
    }))
}

/// Elements without geometry named one by one in the warnings before the rest are
/// counted.
const NAMED_UNMESHED: usize = 20;

/// What `add` needs.
pub(crate) struct ElementsCtx<'a> {
    pub frame: &'a Frame,
    pub model: &'a Model,
    pub marks: &'a Marks,
    pub limits: &'a Limits,
}

/// Adds a node per meshed element; returns the local box of the building.
pub(crate) fn add(sb: &mut SceneBuilder, ctx: &ElementsCtx) -> Option<Bounds> {
    let mut shared: HashMap<Key, usize> = HashMap::new();
    let mut building: Option<Bounds> = None;
    let mut unmeshed = 0usize;
    for e in &ctx.model.elements {
        let Some(mesh) = &e.mesh else {
            // An element whose body could not be meshed is named, never silently
            // absent (the first few; then how many more).
            if let Some(why) = &e.body_error {
                unmeshed += 1;
                if unmeshed <= NAMED_UNMESHED {
                    sb.warn(format!(
                        "element {} ({}) not drawn: its geometry could not be read: {why}",
                        e.global_id, e.ifc_class
                    ));
                }
            }
            continue;
        };
        let local = match to_local(ctx.frame, mesh) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(why) => {
                sb.warn(format!(
                    "element {} ({}) not drawn: {why}",
                    e.global_id, e.ifc_class
                ));
                continue;
            }
        };
        if local.dropped > 0 {
            sb.warn(format!(
                "element {} ({}): {} triangles with indices past the vertices left out",
                e.global_id, e.ifc_class, local.dropped
            ));
        }
        let (mark, findings) = ctx.marks.get(&e.global_id);
        let info = NodeInfo {
            layer: Some(Layer::Building),
            global_id: Some(e.global_id.clone()),
            class: Some(e.ifc_class.clone()),
            name: e.name.clone(),
            storey: e.storey.clone(),
            mark,
            findings,
            props: props(e, ctx.limits),
        };
        let t = local.min.map(|v| v as f32);
        let key = Key::of(&local, mark);
        let existing = key.as_ref().and_then(|k| shared.get(k)).copied();
        let m = match existing {
            Some(m) => {
                sb.instance(m, t, info);
                m
            }
            None => {
                let data = MeshData {
                    positions: local.rel.iter().map(|p| p.map(|v| v as f32)).collect(),
                    indices: local.indices,
                };
                let m = sb.add(data, t, info);
                if let Some(k) = key {
                    shared.insert(k, m);
                }
                m
            }
        };
        let b = sb.meshes[m]
            .bbox()
            .map(|(lo, hi)| Bounds::of(add3(lo, t), add3(hi, t)));
        building = Bounds::merge(building, b);
    }
    if unmeshed > NAMED_UNMESHED {
        sb.warn(format!(
            "{} more elements not drawn: their geometry could not be read",
            unmeshed - NAMED_UNMESHED
        ));
    }
    building
}

fn add3(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// Property sets as `Pset.Name` → text, at most `limits.props` entries of at most
/// `limits.prop_chars` characters; what is left out is counted in one more entry.
fn props(e: &Element, limits: &Limits) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in e.properties.iter().take(limits.props) {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        out.insert(cut(k, limits.prop_chars), cut(&text, limits.prop_chars));
    }
    let more = e.properties.len().saturating_sub(limits.props);
    if more > 0 {
        out.insert(
            OMITTED_KEY.into(),
            format!("{more} more properties not included"),
        );
    }
    out
}

/// The `props` entry that counts properties left out.
pub const OMITTED_KEY: &str = "zhishen.omitted";

/// At most `max` characters, the last one `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("墙体类型", 3), "墙体…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("", 0), "");
    }

    #[test]
    fn props_are_capped_and_counted() {
        let e = Element {
            id: 1,
            global_id: "g".into(),
            ifc_class: "IfcWall".into(),
            predefined_type: None,
            object_type: None,
            name: None,
            storey: None,
            building: None,
            part_of: None,
            properties: (0..5)
                .map(|i| (format!("P.{i}"), serde_json::json!("x".repeat(10))))
                .chain([("A.x".into(), serde_json::json!(2.5))])
                .collect(),
            mesh: None,
            bbox: None,
            body_error: None,
            contained: true,
        };
        let lim = Limits {
            props: 3,
            prop_chars: 4,
            ..Limits::default()
        };
        let p = props(&e, &lim);
        assert_eq!(p.get("A.x").map(String::as_str), Some("2.5"));
        assert_eq!(p.get("P.0").map(String::as_str), Some("xxx…"));
        assert_eq!(p.len(), 4);
        assert_eq!(
            p.get(OMITTED_KEY).map(String::as_str),
            Some("3 more properties not included")
        );
    }

    #[test]
    fn non_finite_and_bad_indices_are_named() {
        let f = Frame::at_origin([0.0; 3]);
        let nan = Mesh::new(
            [0.0; 3],
            vec![0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0, 1.0, 1.0, 0.0],
            vec![0, 1, 2],
        );
        assert!(to_local(&f, &nan).unwrap_err().contains("vertex 1"));
        let past = Mesh::new([0.0; 3], vec![0.0; 9], vec![0, 1, 7]);
        assert!(to_local(&f, &past).is_err());
        let empty = Mesh::default();
        assert!(to_local(&f, &empty).unwrap().is_none());
    }
}
