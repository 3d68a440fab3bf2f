//! Our own meshing of boolean clipping (IfcBooleanClippingResult) for the common
//! shape: an extruded profile (hollow sections too), cut by plane half-spaces
//! (IfcHalfSpaceSolid, IfcBoxedHalfSpace) and by polygon-bounded half-spaces
//! (IfcPolygonalBoundedHalfSpace), possibly nested.
//!
//! Why: exporters write every wall joined under a roof (Revit, Renga, ArchiCAD) and
//! every beam end cut to a plate (Tekla) this way. ifc-lite subtracts a bounded
//! half-space with its exact triangle-arrangement boolean, which took a third of
//! the whole load of a model whose walls are all different (the profile is in
//! bench/README.md). A polygon extrusion and a half-space are both intersections of
//! half-spaces, so the cut is a few plane clips of convex pieces (`convex.rs`):
//! exact up to a length tolerance of 1e-7 of the operand's size, and it cannot fail.
//!
//! The result is the solid as disjoint convex pieces: its outside is the same
//! surface ifc-lite's mesh has, and the shared walls between pieces are inside it,
//! so the footprint, heights and bounding box read the same (checked against
//! ifc-lite on every committed sample and on both corpus variants, see the tests).
//! Profiles and boundary curves are read by ifc-lite's own `ProfileProcessor`, so
//! an extrusion has the outline (arcs and fillets tessellated alike) that ifc-lite
//! gives it; a hole is taken out through the length as the prisms of its convex
//! parts. Anything else (tapered or mapped or brep
//! operands, self-crossing outlines, a cut that would remove the whole solid) goes
//! to ifc-lite's own processor.

pub(crate) mod convex;

use convex::{
    add, cross, dot, is_convex_2d, newell, scale, sub, triangulate_2d, unit, Convex, Plane, V3,
};
use ifc_lite_core::{AttributeValue, DecodedEntity, EntityDecoder, IfcSchema, IfcType};
use ifc_lite_geometry::{
    BoolFailure, BooleanClippingProcessor, GeometryProcessor, Mesh, ProfileProcessor, Result,
    TessellationQuality,
};

/// Deepest boolean nesting read before handing the item to ifc-lite.
const MAX_DEPTH: usize = 32;
/// Most convex pieces one solid may become before handing it to ifc-lite.
const MAX_PIECES: usize = 256;

/// The processor registered for IfcBooleanClippingResult: our cut where it applies,
/// ifc-lite's otherwise.
pub(crate) struct ClipProcessor {
    builtin: BooleanClippingProcessor,
    profiles: ProfileProcessor,
}

impl ClipProcessor {
    pub(crate) fn new() -> ClipProcessor {
        ClipProcessor {
            builtin: BooleanClippingProcessor::new(),
            profiles: ProfileProcessor::new(IfcSchema::new()),
        }
    }
}

impl GeometryProcessor for ClipProcessor {
    fn process(
        &self,
        entity: &DecodedEntity,
        decoder: &mut EntityDecoder,
        schema: &IfcSchema,
        quality: TessellationQuality,
    ) -> Result<Mesh> {
        match clip_mesh(entity, decoder, &self.profiles, quality) {
            Some(mesh) => Ok(mesh),
            None => self.builtin.process(entity, decoder, schema, quality),
        }
    }

    fn supported_types(&self) -> Vec<IfcType> {
        vec![IfcType::IfcBooleanClippingResult]
    }

    fn take_bool_failures(&self) -> Vec<BoolFailure> {
        self.builtin.take_failures()
    }

    fn bool_failure_count(&self) -> usize {
        self.builtin.bool_failure_count()
    }

    fn truncate_bool_failures_to(&self, since: usize) {
        self.builtin.truncate_bool_failures_to(since)
    }
}

/// The clipped solid as a mesh in the item's frame and the file's units, or `None`
/// when this is not a shape we cut ourselves. Profiles are read by ifc-lite's
/// `ProfileProcessor` at `quality`, so an extrusion has the outline ifc-lite gives it.
pub(crate) fn clip_mesh(
    entity: &DecodedEntity,
    decoder: &mut EntityDecoder,
    profiles: &ProfileProcessor,
    quality: TessellationQuality,
) -> Option<Mesh> {
    let mut rd = Rd::new(decoder, profiles, quality);
    let pieces = rd.solid(entity, 0)?;
    if pieces.is_empty() {
        // The cut removes everything: leave that verdict to ifc-lite, which keeps
        // such a host rather than drop an element.
        return None;
    }
    Some(to_mesh(&pieces))
}

fn to_mesh(pieces: &[Convex]) -> Mesh {
    faces_mesh(pieces.iter().flat_map(|p| &p.faces))
}

/// Convex planar faces, each counter-clockwise seen from outside, as a flat-shaded
/// mesh (each face a fan of its own corners).
pub(crate) fn faces_mesh<'a>(faces: impl Iterator<Item = &'a Vec<V3>>) -> Mesh {
    let mut mesh = Mesh::new();
    for face in faces {
        let Some(n) = unit(newell(face)) else {
            continue;
        };
        let base = (mesh.positions.len() / 3) as u32;
        for p in face {
            mesh.positions.extend(p.iter().map(|&c| c as f32));
            mesh.normals.extend(n.iter().map(|&c| c as f32));
        }
        for i in 1..face.len() as u32 - 1 {
            mesh.indices.extend([base, base + i, base + i + 1]);
        }
    }
    mesh
}

/// An IfcAxis2Placement3D as written: origin, optional Axis and RefDirection.
type Axes = (V3, Option<V3>, Option<V3>);

/// A placement's origin and axes.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    o: V3,
    x: V3,
    y: V3,
    z: V3,
}

impl Frame {
    /// The plane's normal (the frame's Z).
    pub(crate) fn normal(&self) -> V3 {
        self.z
    }
    pub(crate) fn point(&self, p: V3) -> V3 {
        add(self.o, self.vector(p))
    }
    fn vector(&self, v: V3) -> V3 {
        add(
            add(scale(self.x, v[0]), scale(self.y, v[1])),
            scale(self.z, v[2]),
        )
    }
    /// Axes from a Z and a reference X, made orthonormal as IFC does. Without a
    /// reference X, IFC takes (1, 0, 0); a Z along it leaves the axes to readers'
    /// conventions, so that case is `None` (ifc-lite decides it).
    fn of(o: V3, z: Option<V3>, x: Option<V3>) -> Option<Frame> {
        let z = unit(z.unwrap_or([0.0, 0.0, 1.0]))?;
        let x_ref = match x {
            Some(x) => x,
            None if z[0].abs() > 1.0 - 1e-9 => return None,
            None => [1.0, 0.0, 0.0],
        };
        let x = unit(sub(x_ref, scale(z, dot(x_ref, z))))?;
        Some(Frame {
            o,
            x,
            y: cross(z, x),
            z,
        })
    }
}

/// Reads the operands. Every method returns `None` for what it does not handle.
pub(crate) struct Rd<'a, 'd> {
    dec: &'a mut EntityDecoder<'d>,
    profiles: &'a ProfileProcessor,
    quality: TessellationQuality,
}

impl<'a, 'd> Rd<'a, 'd> {
    pub(crate) fn new(
        dec: &'a mut EntityDecoder<'d>,
        profiles: &'a ProfileProcessor,
        quality: TessellationQuality,
    ) -> Self {
        Rd {
            dec,
            profiles,
            quality,
        }
    }

    /// IfcAxis2Placement3D (or an unset one), its X by ISO 10303-42's `build_axes`
    /// when no RefDirection is given, also for a Z along ±X, where it takes (0, 0, 1).
    pub(crate) fn placement_any_x(&mut self, v: Option<&AttributeValue>) -> Option<Frame> {
        let (o, z, x) = self.axes3d(v)?;
        Frame::of(o, z, x).or_else(|| Frame::of(o, z, Some([0.0, 0.0, 1.0])))
    }

    fn get(&mut self, v: Option<&AttributeValue>) -> Option<DecodedEntity> {
        let id = v?.as_entity_ref()?;
        self.dec.decode_by_id(id).ok()
    }

    fn point(&mut self, v: Option<&AttributeValue>) -> Option<V3> {
        let e = self.get(v)?;
        (e.ifc_type == IfcType::IfcCartesianPoint).then_some(())?;
        let c = floats(&e, 0)?;
        let z = if c.len() == 3 { c[2] } else { 0.0 };
        (c.len() >= 2 && c.iter().all(|f| f.is_finite())).then_some([c[0], c[1], z])
    }

    /// An optional direction: `Ok(None)` when unset, `None` when unreadable.
    fn direction(&mut self, v: Option<&AttributeValue>) -> Option<Option<V3>> {
        if v.is_none_or(AttributeValue::is_null) {
            return Some(None);
        }
        let e = self.get(v)?;
        (e.ifc_type == IfcType::IfcDirection).then_some(())?;
        let c = floats(&e, 0)?;
        let z = if c.len() == 3 { c[2] } else { 0.0 };
        (c.len() >= 2 && c.iter().all(|f| f.is_finite())).then_some(Some([c[0], c[1], z]))
    }

    /// IfcAxis2Placement3D (or an unset one).
    fn placement3d(&mut self, v: Option<&AttributeValue>) -> Option<Frame> {
        let (o, z, x) = self.axes3d(v)?;
        Frame::of(o, z, x)
    }

    /// The origin and unit Z of an IfcAxis2Placement3D, all a plane needs (its X may
    /// be left to conventions).
    fn origin_and_z(&mut self, v: Option<&AttributeValue>) -> Option<(V3, V3)> {
        let (o, z, _) = self.axes3d(v)?;
        Some((o, unit(z.unwrap_or([0.0, 0.0, 1.0]))?))
    }

    /// An IfcAxis2Placement3D as written.
    fn axes3d(&mut self, v: Option<&AttributeValue>) -> Option<Axes> {
        if v.is_none_or(AttributeValue::is_null) {
            return Some(([0.0; 3], None, None));
        }
        let e = self.get(v)?;
        (e.ifc_type == IfcType::IfcAxis2Placement3D).then_some(())?;
        let o = self.point(e.get(0))?;
        let z = self.direction(e.get(1))?;
        let x = self.direction(e.get(2))?;
        Some((o, z, x))
    }

    /// A bounding curve as a closed 2-D ring, read by ifc-lite's curve sampler (any
    /// bounded curve it reads; arcs as it tessellates them). The closing point and
    /// repeated points are dropped; more than 256 vertices is left to ifc-lite, as
    /// ifc-lite itself refuses them.
    fn ring(&mut self, v: Option<&AttributeValue>) -> Option<Vec<[f64; 2]>> {
        let e = self.get(v)?;
        let pts = self
            .profiles
            .get_curve_points(&e, self.dec, self.quality)
            .ok()?;
        clean_ring(pts.iter().map(|p| [p.x, p.y])).filter(|r| r.len() <= 256)
    }

    /// A profile as its outer ring and holes in the extrusion's plane.
    fn profile(&mut self, v: Option<&AttributeValue>) -> Option<Profile> {
        let e = self.get(v)?;
        let p = self.profiles.process(&e, self.dec, self.quality).ok()?;
        let outer = clean_ring(p.outer.iter().map(|q| [q.x, q.y]))?;
        let holes = p
            .holes
            .iter()
            .map(|h| clean_ring(h.iter().map(|q| [q.x, q.y])))
            .collect::<Option<_>>()?;
        Some(Profile { outer, holes })
    }

    /// The solid as convex pieces (possibly none), in the item's frame.
    fn solid(&mut self, e: &DecodedEntity, depth: usize) -> Option<Vec<Convex>> {
        (depth < MAX_DEPTH).then_some(())?;
        match e.ifc_type {
            IfcType::IfcExtrudedAreaSolid => self.extrusion(e),
            IfcType::IfcBooleanClippingResult => {
                (e.get(0)?.as_enum()? == "DIFFERENCE").then_some(())?;
                let first = self.get(e.get(1))?;
                let host = self.solid(&first, depth + 1)?;
                let cutter = self.get(e.get(2))?;
                let size = extent(&host);
                let cutters = self.cutters(&cutter)?;
                let eps = 1e-7 * size.max(1e-9);
                let mut pieces = host;
                for c in &cutters {
                    pieces = convex::subtract(pieces, c, eps);
                    (pieces.len() <= MAX_PIECES).then_some(())?;
                }
                Some(pieces)
            }
            _ => None,
        }
    }

    /// An IfcExtrudedAreaSolid's profile, plane and sweep, by ifc-lite's rules for
    /// the direction: a direction without Z is refused (`ValidExtrusionDirection`),
    /// and one within 0.001 of the plane's normal (after normalising) is taken as
    /// that normal, up or down.
    fn swept(&mut self, e: &DecodedEntity) -> Option<Swept> {
        let profile = self.profile(e.get(0))?;
        let frame = self.placement3d(e.get(1))?;
        let raw = self.direction(e.get(2))??;
        (raw[2] != 0.0).then_some(())?;
        let mut dir = unit(raw)?;
        if dir[0].abs() < AXIS_EPS && dir[1].abs() < AXIS_EPS {
            dir = [0.0, 0.0, dir[2].signum()];
        }
        let depth = e.get_float(3)?;
        (depth > 0.0 && depth.is_finite()).then_some(())?;
        Some(Swept {
            profile,
            frame,
            sweep: frame.vector(scale(dir, depth)),
        })
    }

    fn extrusion(&mut self, e: &DecodedEntity) -> Option<Vec<Convex>> {
        let Swept {
            profile,
            frame: f,
            sweep,
        } = self.swept(e)?;
        let lift =
            |r: &[[f64; 2]]| -> Vec<V3> { r.iter().map(|&[x, y]| f.point([x, y, 0.0])).collect() };
        let mut pieces = convex_parts(&profile.outer)?
            .iter()
            .map(|r| Convex::prism(&lift(r), sweep))
            .collect::<Option<Vec<_>>>()?;
        // A hole (a hollow section's inside) is taken out through the whole
        // extrusion: each convex part of it is a prism of side planes along the sweep.
        let eps = 1e-7 * extent(&pieces).max(1e-9);
        for hole in &profile.holes {
            for part in convex_parts(hole)? {
                let cutter = sweep_sides(&lift(&part), sweep)?;
                pieces = convex::subtract(pieces, &cutter, eps);
                (pieces.len() <= MAX_PIECES).then_some(())?;
            }
        }
        Some(pieces)
    }

    /// The material of a half-space operand as convex cutters (plane sets).
    fn cutters(&mut self, e: &DecodedEntity) -> Option<Vec<Vec<Plane>>> {
        let plane = self.get(e.get(0))?;
        (plane.ifc_type == IfcType::IfcPlane).then_some(())?;
        let (at, normal) = self.origin_and_z(plane.get(0))?;
        let agreement = e.get(1)?.as_enum()?;
        // AgreementFlag TRUE: the base surface's normal points away from the material.
        let material = match agreement {
            "T" => Plane::through(at, normal)?,
            "F" => Plane::through(at, scale(normal, -1.0))?,
            _ => return None,
        };
        match e.ifc_type {
            IfcType::IfcHalfSpaceSolid | IfcType::IfcBoxedHalfSpace => Some(vec![vec![material]]),
            IfcType::IfcPolygonalBoundedHalfSpace => {
                let at = self.placement3d(e.get(2))?;
                let ring = self.ring(e.get(3))?;
                let sides = |r: &[[f64; 2]]| -> Option<Vec<Plane>> {
                    let ccw = convex::area_2d(r) > 0.0;
                    let mut planes = vec![material];
                    for i in 0..r.len() {
                        let (a, b) = (r[i], r[(i + 1) % r.len()]);
                        let (a, b) = if ccw { (a, b) } else { (b, a) };
                        let (a3, b3) = (at.point([a[0], a[1], 0.0]), at.point([b[0], b[1], 0.0]));
                        let Some(p) = Plane::through(a3, cross(sub(b3, a3), at.z)) else {
                            continue; // a zero-length edge bounds nothing
                        };
                        planes.push(p);
                    }
                    Some(planes)
                };
                if is_convex_2d(&ring) {
                    return Some(vec![sides(&ring)?]);
                }
                triangulate_2d(&ring)?.iter().map(|t| sides(t)).collect()
            }
            _ => None,
        }
    }
}

/// A profile's outer ring and holes, in the extrusion's plane.
pub(crate) struct Profile {
    pub(crate) outer: Vec<[f64; 2]>,
    pub(crate) holes: Vec<Vec<[f64; 2]>>,
}

/// ifc-lite's tolerance for an extrusion direction along the profile plane's normal
/// (`EXTRUSION_AXIS_COMPONENT_EPS`).
const AXIS_EPS: f64 = 0.001;

/// An IfcExtrudedAreaSolid as read: the profile in its plane, the plane's frame
/// (the solid's Position) and the sweep from the bottom face to the top one, in
/// the frame's parent (the item's) coordinates, file units.
pub(crate) struct Swept {
    pub(crate) profile: Profile,
    pub(crate) frame: Frame,
    pub(crate) sweep: V3,
}

/// `e` (an IfcExtrudedAreaSolid) read as [`Swept`], its profile by `profiles` at
/// `quality` as ifc-lite reads it; `None` for what the clip would leave to ifc-lite
/// (an unreadable or degenerate placement, direction or depth, a profile
/// ifc-lite refuses or leaves without three points).
pub(crate) fn read_swept(
    e: &DecodedEntity,
    decoder: &mut EntityDecoder,
    profiles: &ProfileProcessor,
    quality: TessellationQuality,
) -> Option<Swept> {
    (e.ifc_type == IfcType::IfcExtrudedAreaSolid).then_some(())?;
    Rd {
        dec: decoder,
        profiles,
        quality,
    }
    .swept(e)
}

/// A simple ring as convex rings: itself when convex, else its triangles (earcut, through ifc-lite).
fn convex_parts(ring: &[[f64; 2]]) -> Option<Vec<Vec<[f64; 2]>>> {
    if is_convex_2d(ring) {
        return Some(vec![ring.to_vec()]);
    }
    Some(triangulate_2d(ring)?.iter().map(|t| t.to_vec()).collect())
}

/// The infinite prism of the convex polygon `ring` along `sweep`, as the planes of
/// its sides with its inside inside them (oriented by the polygon's centroid).
fn sweep_sides(ring: &[V3], sweep: V3) -> Option<Vec<Plane>> {
    let c = scale(
        ring.iter().fold([0.0; 3], |s, &p| add(s, p)),
        1.0 / ring.len() as f64,
    );
    let mut planes = Vec::with_capacity(ring.len());
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        let mut n = cross(sub(b, a), sweep);
        if dot(n, sub(c, a)) > 0.0 {
            n = scale(n, -1.0);
        }
        if let Some(p) = Plane::through(a, n) {
            planes.push(p);
        }
    }
    (planes.len() >= 3).then_some(planes)
}

/// The numbers of list attribute `at` of `e`.
fn floats(e: &DecodedEntity, at: usize) -> Option<Vec<f64>> {
    e.get_list(at)?
        .iter()
        .map(AttributeValue::as_float)
        .collect()
}

/// A ring without repeated or closing points; `None` when a coordinate is not finite
/// or fewer than three points are left.
fn clean_ring(points: impl Iterator<Item = [f64; 2]>) -> Option<Vec<[f64; 2]>> {
    let mut ring: Vec<[f64; 2]> = Vec::new();
    for q in points {
        (q[0].is_finite() && q[1].is_finite()).then_some(())?;
        if ring.last() != Some(&q) {
            ring.push(q);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    (ring.len() >= 3).then_some(ring)
}

/// The largest side of the pieces' bounding box.
fn extent(pieces: &[Convex]) -> f64 {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for p in pieces.iter().flat_map(|c| c.faces.iter().flatten()) {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (0..3).map(|k| hi[k] - lo[k]).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests;
