//! Occurrences of mapped families (IfcMappedItem 映射项) kept as one shared mesh and
//! a transform each, instead of a copy of every vertex per occurrence.
//!
//! Why: ifc-lite bakes each occurrence: it copies the family's source mesh, welds it,
//! transforms every vertex and drops thin triangles. On a model whose furniture
//! families run to thousands of triangles, that was 61 % of the meshing profile and
//! held 35 million triangles in memory at once (the `--heavy-maps` corpus: 1,171 MiB
//! against web-ifc's 411). Here an occurrence is the family's vertices, shared, plus
//! `world = ObjectPlacement · MappingTarget · MappingOrigin` ([`Mesh::placed`]).
//!
//! What decides the surface stays ifc-lite's:
//! - which representations and items a product meshes: ifc-lite's own walk
//!   (`RepresentationWalk`, `Select::Meshed`); only a product whose meshed body is
//!   exactly one IfcMappedItem qualifies;
//! - the family's source mesh: the one ifc-lite put in its model-wide mapped-item
//!   cache while baking an occurrence;
//! - the transforms: ifc-lite's `MappedLevel::local_transform` and
//!   `resolve_scaled_placement_strict`.
//!
//! Each family is checked once before it is shared: the first occurrence is baked by
//! ifc-lite as before, placed here as well, and the two boxes must agree to 1 mm.
//! A family that fails (or a mirroring transform, whose winding ifc-lite flips) keeps
//! ifc-lite's baked occurrences. Tests compare every mapped product of the samples and
//! the corpus, element by element, with the baked meshes.

use crate::model::{BBox, Mesh, Shared};
use ifc_lite_core::{DecodedEntity, EntityDecoder};
use ifc_lite_geometry::representation::{
    Flow, MappedLevel, NestedMaps, RepresentationWalk, Select, WalkCtx, WalkRefusal, WalkVisitor,
    MAX_WALK_LEVELS,
};
use ifc_lite_geometry::{GeometryRouter, SharedMappedItemCache};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Mutex;

/// Boxes of a family's first occurrence, baked and placed, agree to this (metres).
const AGREE_M: f64 = 1e-3;

/// Row-major 4×4, metres.
type M4 = [[f64; 4]; 4];

/// A product whose meshed body is one IfcMappedItem: its family and where it goes.
pub(super) struct Occurrence {
    /// The IfcRepresentationMap.
    map: u32,
    world: M4,
}

/// What is known of a family (by IfcRepresentationMap id).
enum Family {
    /// Its first occurrence baked and placed agree: later ones are placed.
    Shared(Shared, [f64; 3]),
    /// They did not, or it cannot be placed: every occurrence is baked.
    Baked,
}

/// The families of one load, shared by every meshing worker.
#[derive(Default)]
pub(super) struct Families {
    known: Mutex<HashMap<u32, Family>>,
}

impl Families {
    /// The occurrence placed, when its family is known to place like ifc-lite bakes.
    pub(super) fn place(&self, occ: &Occurrence) -> Option<Mesh> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        match known.get(&occ.map)? {
            Family::Shared(shared, origin) => Some(placed(shared, *origin, &occ.world)),
            Family::Baked => None,
        }
    }

    /// Whether the family's fate is still open (its first occurrence not yet checked).
    pub(super) fn unknown(&self, occ: &Occurrence) -> bool {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        !known.contains_key(&occ.map)
    }

    /// Decides the family from an occurrence ifc-lite has just baked (`baked`, world
    /// coordinates) and the source mesh that baking left in `cache`.
    pub(super) fn learn(
        &self,
        occ: &Occurrence,
        baked: Option<&Mesh>,
        cache: &SharedMappedItemCache,
    ) {
        let source = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&occ.map)
            .cloned();
        let family = match (source, baked.and_then(Mesh::bbox)) {
            (Some(src), Some(want)) if !src.rtc_applied && src.local_to_world.is_none() => {
                let shared = Shared::new(&src.positions, &src.indices);
                let got = placed(&shared, src.origin, &occ.world).bbox();
                if got.is_some_and(|g| agree(&g, &want)) {
                    Family::Shared(shared, src.origin)
                } else {
                    tracing::debug!(map = occ.map, "mapped family left baked: boxes differ");
                    Family::Baked
                }
            }
            _ => Family::Baked,
        };
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        // A family once found baked stays baked, whichever worker checked it first.
        if !matches!(known.get(&occ.map), Some(Family::Baked)) {
            known.insert(occ.map, family);
        }
    }
}

fn agree(a: &BBox, b: &BBox) -> bool {
    (0..3).all(|k| (a.min[k] - b.min[k]).abs() <= AGREE_M && (a.max[k] - b.max[k]).abs() <= AGREE_M)
}

/// `shared` (offsets from `origin` in the family's frame) placed by `world`.
fn placed(shared: &Shared, origin: [f64; 3], world: &M4) -> Mesh {
    let o = std::array::from_fn(|r| {
        world[r][0] * origin[0] + world[r][1] * origin[1] + world[r][2] * origin[2] + world[r][3]
    });
    let linear = std::array::from_fn(|r| [world[r][0], world[r][1], world[r][2]]);
    Mesh::placed(shared, o, linear)
}

/// `element`'s occurrence when its meshed body is exactly one IfcMappedItem with a
/// proper, non-mirroring transform; `None` sends it to ifc-lite's baking.
pub(super) fn occurrence(
    element: &DecodedEntity,
    dec: &mut EntityDecoder,
    router: &GeometryRouter,
) -> Option<Occurrence> {
    let walk = RepresentationWalk {
        select: Select::Meshed,
        nested: NestedMaps::Expand {
            max_depth: 1,
            max_levels: MAX_WALK_LEVELS,
        },
    };
    let mut v = OneMap::default();
    walk.product(element, dec, &mut v).ok()?;
    let (map, local) = match v {
        OneMap {
            level: Some(level),
            other: false,
        } => level,
        _ => return None,
    };
    let placement = router.resolve_scaled_placement_strict(element, dec).ok()?;
    // Column-major to rows.
    let p: M4 = std::array::from_fn(|r| std::array::from_fn(|c| placement[c * 4 + r]));
    let mut local = local.unwrap_or(IDENTITY);
    let s = router.unit_scale();
    for row in local.iter_mut().take(3) {
        row[3] *= s;
    }
    let world = mul(&p, &local);
    let proper = world[3] == [0.0, 0.0, 0.0, 1.0]
        && world.iter().flatten().all(|x| x.is_finite())
        && det3(&world) > 0.0;
    proper.then_some(Occurrence { map, world })
}

const IDENTITY: M4 = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

fn mul(a: &M4, b: &M4) -> M4 {
    std::array::from_fn(|r| std::array::from_fn(|c| (0..4).map(|k| a[r][k] * b[k][c]).sum()))
}

fn det3(m: &M4) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Walks a product's meshed representations: one top-level IfcMappedItem and nothing
/// else, or `other`.
#[derive(Default)]
struct OneMap {
    /// The map and its `MappingTarget · MappingOrigin` (file units), `None` for identity.
    level: Option<(u32, Option<M4>)>,
    other: bool,
}

impl WalkVisitor for OneMap {
    fn item(&mut self, _: &DecodedEntity, _: &WalkCtx<'_>, _: &mut EntityDecoder) -> Flow {
        self.other = true;
        Flow::Stop
    }

    fn enter_map(
        &mut self,
        level: &MappedLevel,
        at: &WalkCtx<'_>,
        dec: &mut EntityDecoder,
    ) -> Flow {
        if self.level.is_some() || !at.path.is_empty() {
            self.other = true;
            return Flow::Stop;
        }
        match level.local_transform(dec) {
            Ok(t) => {
                let t = t.map(|m| std::array::from_fn(|r| std::array::from_fn(|c| m[(r, c)])));
                self.level = Some((level.map.id, t));
                Flow::SkipChildren
            }
            Err(_) => {
                self.other = true;
                Flow::Stop
            }
        }
    }

    fn refused(&mut self, _: &DecodedEntity, _: WalkRefusal, _: &WalkCtx<'_>) {
        self.other = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_and_product() {
        let rot_z: M4 = [
            [0.0, -1.0, 0.0, 5.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert_eq!(det3(&rot_z), 1.0);
        let mut mirror = IDENTITY;
        mirror[0][0] = -1.0;
        assert_eq!(det3(&mirror), -1.0);
        // (1, 0, 0) mirrored then turned a quarter about z and moved 5 along x.
        let m = mul(&rot_z, &mirror);
        let v = [1.0, 0.0, 0.0];
        let got: [f64; 3] =
            std::array::from_fn(|r| (0..3).map(|k| m[r][k] * v[k]).sum::<f64>() + m[r][3]);
        assert_eq!(got, [5.0, -1.0, 0.0]);
    }

    #[test]
    fn placed_mesh_applies_the_transform_to_origin_and_offsets() {
        let shared = Shared::new(&[1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0], &[0, 1, 2]);
        let world: M4 = [
            [0.0, -1.0, 0.0, 100.0],
            [1.0, 0.0, 0.0, 200.0],
            [0.0, 0.0, 1.0, 10.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        // Family origin (1, 1, 1): vertex 0 is (2, 1, 1) in the family's frame,
        // which the quarter turn takes to (-1, 2, 1), then moved by (100, 200, 10).
        let m = placed(&shared, [1.0, 1.0, 1.0], &world);
        assert_eq!(m.vertex(0), [99.0, 202.0, 11.0]);
        assert_eq!(m.vertex(1), [97.0, 201.0, 11.0]);
        assert_eq!(m.vertex(2), [99.0, 201.0, 14.0]);
        let b = m.bbox().unwrap();
        assert_eq!((b.min, b.max), ([97.0, 201.0, 11.0], [99.0, 202.0, 14.0]));
        assert!(m.is_shared());
    }
}
