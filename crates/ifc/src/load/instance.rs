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
//! Each family is checked once before it is shared: its first occurrence (in product
//! order) is baked by ifc-lite as before, placed here as well, and the two boxes must
//! agree to 1 mm. The first keeps its baked mesh; every later occurrence is placed.
//! A family that fails (or a mirroring transform, whose winding ifc-lite flips) keeps
//! ifc-lite's baked occurrences. Tests compare every mapped product of the samples and
//! the corpus, element by element, with the baked meshes.

use super::{compose, Affine};
use crate::model::{BBox, Mesh, Shared};
use ifc_lite_core::{DecodedEntity, EntityDecoder};
use ifc_lite_geometry::representation::{
    Flow, MappedLevel, NestedMaps, RepresentationWalk, Select, WalkCtx, WalkRefusal, WalkVisitor,
    MAX_WALK_LEVELS,
};
use ifc_lite_geometry::{GeometryRouter, SharedMappedItemCache};
use rustc_hash::FxHashMap as HashMap;

/// Boxes of a family's first occurrence, baked and placed, agree to this (metres).
const AGREE_M: f64 = 1e-3;

/// A product whose meshed body is one IfcMappedItem: its family and where it goes.
pub(super) struct Occurrence {
    /// The IfcRepresentationMap.
    map: u32,
    /// `ObjectPlacement · MappingTarget · MappingOrigin`, metres.
    world: Affine,
}

impl Occurrence {
    /// The family: its IfcRepresentationMap.
    pub(super) fn map(&self) -> u32 {
        self.map
    }
}

/// What is known of a family (by IfcRepresentationMap id).
pub(super) enum Family {
    /// Its first occurrence baked and placed agree: every later occurrence is placed.
    Shared(Shared, [f64; 3]),
    /// They did not, or it cannot be placed: every occurrence is baked.
    Baked,
}

impl Family {
    /// Decides a family from its first occurrence, which ifc-lite has just baked
    /// (`baked`, world coordinates), and the source mesh that baking left in `cache`.
    pub(super) fn decide(
        occ: &Occurrence,
        baked: Option<&Mesh>,
        cache: &SharedMappedItemCache,
    ) -> Family {
        let source = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&occ.map)
            .cloned();
        match (source, baked.and_then(Mesh::bbox)) {
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
        }
    }
}

/// The families of one load, each decided once by its first occurrence in product
/// order, before any other occurrence is meshed: which meshes are placed then does
/// not depend on which worker reached a family first, and a load gives the same
/// model every time.
#[derive(Default)]
pub(super) struct Families {
    known: HashMap<u32, Family>,
}

impl Families {
    pub(super) fn insert(&mut self, map: u32, family: Family) {
        self.known.insert(map, family);
    }

    /// The occurrence placed, when its family places like ifc-lite bakes.
    pub(super) fn place(&self, occ: &Occurrence) -> Option<Mesh> {
        match self.known.get(&occ.map)? {
            Family::Shared(shared, origin) => Some(placed(shared, *origin, &occ.world)),
            Family::Baked => None,
        }
    }
}

fn agree(a: &BBox, b: &BBox) -> bool {
    (0..3).all(|k| (a.min[k] - b.min[k]).abs() <= AGREE_M && (a.max[k] - b.max[k]).abs() <= AGREE_M)
}

/// `shared` (offsets from `origin` in the family's frame) placed by `world`.
fn placed(shared: &Shared, origin: [f64; 3], world: &Affine) -> Mesh {
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
    // Column-major.
    let p = affine(|r, c| placement[c * 4 + r])?;
    let mut local = local.unwrap_or(IDENTITY);
    let s = router.unit_scale();
    for row in local.iter_mut() {
        row[3] *= s;
    }
    let world = compose(&p, &local);
    let proper = world.iter().flatten().all(|x| x.is_finite()) && det3(&world) > 0.0;
    proper.then_some(Occurrence { map, world })
}

const IDENTITY: Affine = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
];

/// The 4×4 given by `at(row, column)` as an affine transform, when its last row is
/// (0, 0, 0, 1).
pub(super) fn affine(at: impl Fn(usize, usize) -> f64) -> Option<Affine> {
    let last = [at(3, 0), at(3, 1), at(3, 2), at(3, 3)];
    (last == [0.0, 0.0, 0.0, 1.0])
        .then(|| std::array::from_fn(|r| std::array::from_fn(|c| at(r, c))))
}

pub(super) fn det3(m: &Affine) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Walks a product's meshed representations: one top-level IfcMappedItem and nothing
/// else, or `other`.
#[derive(Default)]
struct OneMap {
    /// The map and its `MappingTarget · MappingOrigin` (file units), `None` for
    /// identity; a transform that is not affine ends the walk as `other`.
    level: Option<(u32, Option<Affine>)>,
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
            Ok(None) => {
                self.level = Some((level.map.id, None));
                Flow::SkipChildren
            }
            Ok(Some(m)) => match affine(|r, c| m[(r, c)]) {
                Some(t) => {
                    self.level = Some((level.map.id, Some(t)));
                    Flow::SkipChildren
                }
                None => {
                    self.other = true;
                    Flow::Stop
                }
            },
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
        let rot_z: Affine = [
            [0.0, -1.0, 0.0, 5.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ];
        assert_eq!(det3(&rot_z), 1.0);
        let mut mirror = IDENTITY;
        mirror[0][0] = -1.0;
        assert_eq!(det3(&mirror), -1.0);
        // (1, 0, 0) mirrored then turned a quarter about z and moved 5 along x.
        let m = compose(&rot_z, &mirror);
        let v = [1.0, 0.0, 0.0];
        let got: [f64; 3] =
            std::array::from_fn(|r| (0..3).map(|k| m[r][k] * v[k]).sum::<f64>() + m[r][3]);
        assert_eq!(got, [5.0, -1.0, 0.0]);
        // A 4×4 is read as affine only with (0, 0, 0, 1) as its last row.
        let rows = |last: [f64; 4]| {
            let m = [rot_z[0], rot_z[1], rot_z[2], last];
            affine(|r, c| m[r][c])
        };
        assert_eq!(rows([0.0, 0.0, 0.0, 1.0]), Some(rot_z));
        assert_eq!(rows([0.0, 0.0, 0.5, 1.0]), None);
        assert_eq!(rows([0.0, 0.0, 0.0, 2.0]), None);
    }

    #[test]
    fn placed_mesh_applies_the_transform_to_origin_and_offsets() {
        let shared = Shared::new(&[1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0], &[0, 1, 2]);
        let world: Affine = [
            [0.0, -1.0, 0.0, 100.0],
            [1.0, 0.0, 0.0, 200.0],
            [0.0, 0.0, 1.0, 10.0],
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
