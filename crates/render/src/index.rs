//! What the viewer needs to know of a scene besides its triangles: each node's box,
//! the box worth framing (building, parcel, evidence — not a 300 m ground plane), and
//! CPU picking. Picking casts a ray against the same triangles the GPU draws, so the
//! browser and the tests pick identically without reading back an id buffer.

use crate::format::{Layer, TwinScene};
use glam::Vec3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    pub fn new(min: Vec3, max: Vec3) -> Aabb {
        Aabb { min, max }
    }
    pub fn empty() -> Aabb {
        Aabb {
            min: Vec3::splat(f32::INFINITY),
            max: Vec3::splat(f32::NEG_INFINITY),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.min.x > self.max.x
    }
    pub fn union(&self, o: &Aabb) -> Aabb {
        Aabb {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }
    pub fn center(&self) -> Vec3 {
        if self.is_empty() {
            Vec3::ZERO
        } else {
            (self.min + self.max) / 2.0
        }
    }
    pub fn radius(&self) -> f32 {
        if self.is_empty() {
            0.0
        } else {
            (self.max - self.min).length() / 2.0
        }
    }
    /// Grown by a share of its size, at least `min_m` on every side.
    pub fn grown(&self, share: f32, min_m: f32) -> Aabb {
        let g = ((self.max - self.min) * share).max(Vec3::splat(min_m));
        Aabb::new(self.min - g, self.max + g)
    }
    pub fn corners(&self) -> [Vec3; 8] {
        let (a, b) = (self.min, self.max);
        [
            Vec3::new(a.x, a.y, a.z),
            Vec3::new(b.x, a.y, a.z),
            Vec3::new(a.x, b.y, a.z),
            Vec3::new(b.x, b.y, a.z),
            Vec3::new(a.x, a.y, b.z),
            Vec3::new(b.x, a.y, b.z),
            Vec3::new(a.x, b.y, b.z),
            Vec3::new(b.x, b.y, b.z),
        ]
    }
    /// Entry distance of a ray, if it meets the box.
    pub fn ray_hit(&self, o: Vec3, d: Vec3) -> Option<f32> {
        let inv = d.recip();
        let t1 = (self.min - o) * inv;
        let t2 = (self.max - o) * inv;
        let tmin = t1.min(t2).max_element();
        let tmax = t1.max(t2).min_element();
        (tmax >= tmin.max(0.0) && !tmin.is_nan()).then_some(tmin.max(0.0))
    }
}

#[derive(Debug, Clone)]
pub struct SceneIndex {
    /// Per node, in world (local glTF) coordinates.
    pub node_boxes: Vec<Aabb>,
    /// The building, its parcel and the evidence: what the opening view frames.
    pub focus: Aabb,
    /// Everything but the ground.
    pub all: Aabb,
}

impl SceneIndex {
    pub fn new(scene: &TwinScene) -> SceneIndex {
        let mesh_boxes: Vec<Aabb> = scene
            .meshes
            .iter()
            .map(|m| {
                m.bbox()
                    .map_or_else(Aabb::empty, |(a, b)| Aabb::new(a.into(), b.into()))
            })
            .collect();
        let mut node_boxes = Vec::with_capacity(scene.nodes.len());
        let (mut focus, mut all) = (Aabb::empty(), Aabb::empty());
        for n in &scene.nodes {
            let t = Vec3::from(n.translation);
            let b = mesh_boxes.get(n.mesh).copied().unwrap_or_else(Aabb::empty);
            let b = if b.is_empty() {
                b
            } else {
                Aabb::new(b.min + t, b.max + t)
            };
            node_boxes.push(b);
            if b.is_empty() {
                continue;
            }
            let layer = n.info.layer.unwrap_or(Layer::Building);
            if layer != Layer::Ground {
                all = all.union(&b);
            }
            let reviewed_parcel = layer == Layer::Parcel
                && scene.meta.parcel.is_some()
                && n.info.class == scene.meta.parcel;
            if matches!(layer, Layer::Building | Layer::Evidence) || reviewed_parcel {
                focus = focus.union(&b);
            }
        }
        if focus.is_empty() {
            focus = all;
        }
        if focus.is_empty() {
            focus = Aabb::new(Vec3::splat(-10.0), Vec3::splat(10.0));
            all = focus;
        }
        SceneIndex {
            node_boxes,
            focus,
            all,
        }
    }

    /// The nearest triangle hit by a ray among the nodes `visible` accepts, skipping
    /// what lies above the section height. Returns the node and the hit point.
    pub fn pick(
        &self,
        scene: &TwinScene,
        ray: (Vec3, Vec3),
        visible: &dyn Fn(usize) -> bool,
        section: Option<f32>,
    ) -> Option<(usize, Vec3)> {
        let (o, d) = ray;
        let mut best: Option<(f32, usize)> = None;
        for (i, n) in scene.nodes.iter().enumerate() {
            if !visible(i) {
                continue;
            }
            let Some(enter) = self.node_boxes[i].ray_hit(o, d) else {
                continue;
            };
            if best.is_some_and(|(t, _)| enter > t) {
                continue;
            }
            let Some(mesh) = scene.meshes.get(n.mesh) else {
                continue;
            };
            let t0 = Vec3::from(n.translation);
            for tri in mesh.indices.chunks_exact(3) {
                let p = |k: u32| Vec3::from(mesh.positions[k as usize]) + t0;
                if let Some(t) = ray_triangle(o, d, p(tri[0]), p(tri[1]), p(tri[2])) {
                    let hit = o + d * t;
                    if section.is_some_and(|h| hit.y > h) {
                        continue;
                    }
                    if best.is_none_or(|(bt, _)| t < bt) {
                        best = Some((t, i));
                    }
                }
            }
        }
        best.map(|(t, i)| (i, o + d * t))
    }
}

/// Möller–Trumbore, two-sided.
fn ray_triangle(o: Vec3, d: Vec3, a: Vec3, b: Vec3, c: Vec3) -> Option<f32> {
    let e1 = b - a;
    let e2 = c - a;
    let p = d.cross(e2);
    let det = e1.dot(p);
    if det.abs() < 1e-12 {
        return None;
    }
    let inv = 1.0 / det;
    let s = o - a;
    let u = s.dot(p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = s.cross(e1);
    let v = d.dot(q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = e2.dot(q) * inv;
    (t > 1e-4).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::*;

    /// Two unit-square floor tiles at y = 0 and y = 3 over x, z ∈ [0, 1], the upper
    /// one translated by an instance.
    fn two_tiles() -> TwinScene {
        let tile = MeshData {
            positions: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 0.0, 1.0],
                [0.0, 0.0, 1.0],
            ],
            indices: vec![0, 1, 2, 0, 2, 3],
        };
        let node = |t: [f32; 3]| NodeData {
            mesh: 0,
            translation: t,
            info: NodeInfo {
                layer: Some(Layer::Building),
                ..Default::default()
            },
        };
        TwinScene {
            meta: TwinMeta::bare([0.0; 3]),
            meshes: vec![tile],
            nodes: vec![node([0.0; 3]), node([0.0, 3.0, 0.0])],
        }
    }

    #[test]
    fn picks_the_nearest_visible_node_below_the_section() {
        let s = two_tiles();
        let ix = SceneIndex::new(&s);
        let down = (Vec3::new(0.5, 10.0, 0.5), Vec3::new(0.0, -1.0, 0.0));
        let (n, p) = ix.pick(&s, down, &|_| true, None).unwrap();
        assert_eq!(n, 1);
        assert!((p - Vec3::new(0.5, 3.0, 0.5)).length() < 1e-4);
        // Hidden upper tile, or a section at 2 m: the lower one.
        assert_eq!(ix.pick(&s, down, &|i| i != 1, None).unwrap().0, 0);
        assert_eq!(ix.pick(&s, down, &|_| true, Some(2.0)).unwrap().0, 0);
        // Beside the tiles: nothing.
        let beside = (Vec3::new(1.5, 10.0, 0.5), Vec3::new(0.0, -1.0, 0.0));
        assert!(ix.pick(&s, beside, &|_| true, None).is_none());
    }

    #[test]
    fn boxes_include_translations() {
        let ix = SceneIndex::new(&two_tiles());
        assert_eq!(ix.node_boxes[1].min, Vec3::new(0.0, 3.0, 0.0));
        assert_eq!(ix.focus.max, Vec3::new(1.0, 3.0, 1.0));
    }
}
