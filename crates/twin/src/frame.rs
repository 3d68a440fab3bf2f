//! The scene's coordinate frame: where the model lands on the site and where the local
//! origin is. Every position in the scene passes through here, so the building, the
//! planning layers and the evidence agree to the millimetre.
//!
//! Model (x, y, z) → site (E, N, Z) by the placement's affine map (`PlacedBuilding::to_site`)
//! and the model's origin elevation; site → local glTF `[E − oE, Z − oZ, −(N − oN)]`
//! (`zhishen_render::format::to_local`, here in f64 until the last step so a
//! bbox-relative mesh keeps its precision).

use geo::{BoundingRect, Centroid};
use zhishen_ifc::Model;
use zhishen_site::PlacedBuilding;

/// Model → site → local.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Site (E, N, Z) of the local origin.
    pub origin: [f64; 3],
    /// Model (x, y) → site (E, N): `E = a·x + b·y + c, N = d·x + e·y + f`.
    affine: [f64; 6],
    /// Site Z of model z = 0 (the origin elevation, else 0: Z is then model z).
    z0: f64,
    /// Whether `z0` is a known absolute elevation.
    pub absolute_z: bool,
}

/// What the frame is chosen from.
pub(crate) struct FrameCtx<'a> {
    pub model: &'a Model,
    pub placed: Option<&'a PlacedBuilding>,
    pub parcel: Option<&'a geo::Geometry<f64>>,
}

impl Frame {
    /// The origin is the parcel's centroid rounded to whole metres (else the building's
    /// centre), at the ground. An unplaced model is drawn with its plan centre on the
    /// origin; the caller has already said so in a warning.
    pub fn new(ctx: &FrameCtx) -> Option<Frame> {
        let (z0, absolute_z) = match ctx.placed.and_then(|p| p.origin_elevation_m) {
            Some(e) if e.is_finite() => (e, true),
            _ => (0.0, false),
        };
        let ground = z0
            + ctx
                .model
                .facts
                .ground_m
                .filter(|g| g.is_finite())
                .unwrap_or(0.0);
        let parcel_centre = ctx
            .parcel
            .and_then(|g| g.centroid())
            .map(|c| (c.x(), c.y()));
        let model_centre = ctx
            .model
            .bbox_world_m
            .map(|b| ((b.min[0] + b.max[0]) / 2.0, (b.min[1] + b.max[1]) / 2.0));
        let (affine, centre) = match ctx.placed {
            Some(p) => {
                let footprint = p
                    .footprint
                    .bounding_rect()
                    .map(|r| (r.center().x, r.center().y));
                let placed_centre = model_centre.map(|(x, y)| p.site_xy(x, y));
                (p.to_site, parcel_centre.or(footprint).or(placed_centre))
            }
            None => {
                let c = parcel_centre.unwrap_or((0.0, 0.0));
                let (cx, cy) = model_centre.unwrap_or((0.0, 0.0));
                let (oe, on) = (c.0.round(), c.1.round());
                ([1.0, 0.0, oe - cx, 0.0, 1.0, on - cy], Some(c))
            }
        };
        let (ce, cn) = centre.unwrap_or((0.0, 0.0));
        let origin = [ce.round(), cn.round(), ground];
        let ok = origin.iter().chain(affine.iter()).all(|v| v.is_finite());
        ok.then_some(Frame {
            origin,
            affine,
            z0,
            absolute_z,
        })
    }

    /// A frame with model = site coordinates around `origin` (tests).
    #[cfg(test)]
    pub fn at_origin(origin: [f64; 3]) -> Frame {
        Frame {
            origin,
            affine: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            z0: 0.0,
            absolute_z: false,
        }
    }

    /// Site coordinates of a model point.
    pub fn site_of_model(&self, p: [f64; 3]) -> [f64; 3] {
        let t = &self.affine;
        [
            t[0] * p[0] + t[1] * p[1] + t[2],
            t[3] * p[0] + t[4] * p[1] + t[5],
            p[2] + self.z0,
        ]
    }

    /// Local (glTF) coordinates of a site point, in f64.
    pub fn local(&self, e: f64, n: f64, z: f64) -> [f64; 3] {
        [
            e - self.origin[0],
            z - self.origin[2],
            -(n - self.origin[1]),
        ]
    }

    /// Site (E, N) of a local point (x, _, z).
    pub fn site_en(&self, p: [f32; 3]) -> (f64, f64) {
        (
            self.origin[0] + f64::from(p[0]),
            self.origin[1] - f64::from(p[2]),
        )
    }

    /// Site Z of the ground (the local origin's height).
    pub fn ground(&self) -> f64 {
        self.origin[2]
    }
}

/// A local axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounds {
    pub min: [f32; 3],
    pub max: [f32; 3],
}

impl Bounds {
    pub fn of(min: [f32; 3], max: [f32; 3]) -> Bounds {
        Bounds { min, max }
    }
    pub fn union(self, o: Bounds) -> Bounds {
        let mut b = self;
        for k in 0..3 {
            b.min[k] = b.min[k].min(o.min[k]);
            b.max[k] = b.max[k].max(o.max[k]);
        }
        b
    }
    pub fn merge(a: Option<Bounds>, b: Option<Bounds>) -> Option<Bounds> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.union(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_matches_the_format() {
        let f = Frame::at_origin([500_000.0, 3_000_000.0, 12.0]);
        let l = f.local(500_012.5, 3_000_020.25, 15.0);
        let want = zhishen_render::format::to_local(f.origin, 500_012.5, 3_000_020.25, 15.0);
        assert_eq!(l.map(|v| v as f32), want);
        assert_eq!(f.site_en(want), (500_012.5, 3_000_020.25));
    }
}
