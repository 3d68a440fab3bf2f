//! Our own meshing of the CSG primitives ifc-lite does not read: the right circular
//! cylinder and cone and the rectangular pyramid (IfcRightCircularCylinder,
//! IfcRightCircularCone, IfcRectangularPyramid), as body items and as CSG operands.
//!
//! Why: ifc-lite meshes IfcBlock and IfcSphere and refuses these three ("Unsupported
//! representation type"), so a column or a bollard written as a cylinder had no
//! geometry: its element is then in `facts.missing_geometry` and the review of the
//! whole model unverifiable. Each is a few convex faces in its Position frame (ISO
//! 10303-42 as IFC adopts it): the cylinder's and the cone's base circle centred on the
//! origin in the XY plane and the axis along +Z (the cone's apex at [0, 0, Height]);
//! the pyramid's base the rectangle (0, 0)..(XLength, YLength) and its apex at
//! [XLength/2, YLength/2, Height]. A circle has as many corners as ifc-lite gives a
//! circle profile at the same quality, the first on the frame's +X.

use crate::clip::convex::V3;
use crate::clip::{faces_mesh, Rd};
use ifc_lite_core::{DecodedEntity, EntityDecoder, IfcSchema, IfcType};
use ifc_lite_geometry::{
    Error, GeometryProcessor, Mesh, ProfileProcessor, Result, TessellationQuality,
};

/// The processor registered for the three primitives.
pub(crate) struct PrimitiveProcessor {
    profiles: ProfileProcessor,
}

impl PrimitiveProcessor {
    pub(crate) fn new() -> PrimitiveProcessor {
        PrimitiveProcessor {
            profiles: ProfileProcessor::new(IfcSchema::new()),
        }
    }
}

impl GeometryProcessor for PrimitiveProcessor {
    fn process(
        &self,
        entity: &DecodedEntity,
        decoder: &mut EntityDecoder,
        _schema: &IfcSchema,
        quality: TessellationQuality,
    ) -> Result<Mesh> {
        let faces = primitive_faces(entity, decoder, &self.profiles, quality)?;
        Ok(faces_mesh(faces.iter()))
    }

    fn supported_types(&self) -> Vec<IfcType> {
        vec![
            IfcType::IfcRightCircularCylinder,
            IfcType::IfcRightCircularCone,
            IfcType::IfcRectangularPyramid,
        ]
    }
}

/// The primitive's faces in the item's frame and the file's units, each a convex
/// polygon counter-clockwise seen from outside.
pub(crate) fn primitive_faces(
    entity: &DecodedEntity,
    decoder: &mut EntityDecoder,
    profiles: &ProfileProcessor,
    quality: TessellationQuality,
) -> Result<Vec<Vec<V3>>> {
    let class = entity.ifc_type.name();
    let bad = |what: &str| Error::geometry(format!("{class} #{}: {what}", entity.id));
    let mut rd = Rd::new(decoder, profiles, quality);
    let frame = rd
        .placement_any_x(entity.get(0))
        .ok_or_else(|| bad("its Position is not a readable IfcAxis2Placement3D"))?;
    // Every dimension is a positive length.
    let length = |at: usize, name: &str| {
        entity
            .get_float(at)
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| bad(&format!("{name} is not a positive length")))
    };
    let corners = quality.circle_profile_segments(36);
    let local: Vec<Vec<V3>> = match entity.ifc_type {
        IfcType::IfcRightCircularCylinder => {
            let (h, r) = (length(1, "Height")?, length(2, "Radius")?);
            prism(&circle(r, corners), h)
        }
        IfcType::IfcRightCircularCone => {
            let (h, r) = (length(1, "Height")?, length(2, "BottomRadius")?);
            pyramid(&circle(r, corners), [0.0, 0.0, h])
        }
        IfcType::IfcRectangularPyramid => {
            let (x, y) = (length(1, "XLength")?, length(2, "YLength")?);
            let h = length(3, "Height")?;
            let base = [[0.0, 0.0], [x, 0.0], [x, y], [0.0, y]];
            pyramid(&base, [x / 2.0, y / 2.0, h])
        }
        _ => return Err(bad("not a primitive this processor reads")),
    };
    Ok(local
        .into_iter()
        .map(|f| f.into_iter().map(|p| frame.point(p)).collect())
        .collect())
}

/// A circle of radius `r` as `n` corners, counter-clockwise from +X.
fn circle(r: f64, n: usize) -> Vec<[f64; 2]> {
    (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            [r * a.cos(), r * a.sin()]
        })
        .collect()
}

/// The base face of `base` (counter-clockwise seen from above) at z = 0, facing down.
fn floor(base: &[[f64; 2]]) -> Vec<V3> {
    base.iter().rev().map(|&[x, y]| [x, y, 0.0]).collect()
}

/// `base` extruded along +Z by `h`.
fn prism(base: &[[f64; 2]], h: f64) -> Vec<Vec<V3>> {
    let mut faces = vec![floor(base), base.iter().map(|&[x, y]| [x, y, h]).collect()];
    for (k, &[x0, y0]) in base.iter().enumerate() {
        let [x1, y1] = base[(k + 1) % base.len()];
        faces.push(vec![[x0, y0, 0.0], [x1, y1, 0.0], [x1, y1, h], [x0, y0, h]]);
    }
    faces
}

/// `base` at z = 0 joined to `apex`.
fn pyramid(base: &[[f64; 2]], apex: V3) -> Vec<Vec<V3>> {
    let mut faces = vec![floor(base)];
    for (k, &[x0, y0]) in base.iter().enumerate() {
        let [x1, y1] = base[(k + 1) % base.len()];
        faces.push(vec![[x0, y0, 0.0], [x1, y1, 0.0], apex]);
    }
    faces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The volume enclosed by outward faces (divergence theorem over fans).
    fn volume(faces: &[Vec<V3>]) -> f64 {
        let mut v = 0.0;
        for f in faces {
            for i in 1..f.len() - 1 {
                let (a, b, c) = (f[0], f[i], f[i + 1]);
                v += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                    + a[2] * (b[0] * c[1] - b[1] * c[0]);
            }
        }
        v / 6.0
    }

    #[test]
    fn closed_solids_enclose_their_hand_computed_volume() {
        // A regular n-gon of circumradius r has area n r² sin(2π/n) / 2.
        let n = 36;
        let disc = n as f64 * 0.25 * (std::f64::consts::TAU / n as f64).sin() / 2.0;
        let cyl = prism(&circle(0.5, n), 3.0);
        assert!(
            (volume(&cyl) - disc * 3.0).abs() < 1e-12,
            "{}",
            volume(&cyl)
        );
        let cone = pyramid(&circle(0.5, n), [0.0, 0.0, 3.0]);
        assert!((volume(&cone) - disc * 3.0 / 3.0).abs() < 1e-12);
        let rect = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]];
        let pyr = pyramid(&rect, [1.0, 0.5, 6.0]);
        // A positive volume means every face is counter-clockwise seen from outside.
        assert!((volume(&pyr) - 2.0 * 6.0 / 3.0).abs() < 1e-12);
    }
}
