//! A boolean union that lost an operand is an error, not a smaller solid.
//!
//! Why: ifc-lite meshes an `IfcBooleanResult` .UNION. (on its own or as the tree of an
//! `IfcCsgSolid`) whose operand it cannot read (a cylinder, a degenerate solid) as the
//! other operand alone, and only records the loss in its processor's failure log,
//! which nothing reads per element. The element then looked
//! whole and was smaller than the building: a wrong pass waiting to happen. This
//! wrapper runs ifc-lite's own processor and reads that log after each item; a union
//! that lost an operand becomes an error naming the operand, so the element is in
//! `facts.missing_geometry`. A difference that lost its cutter keeps its host whole
//! (larger, never smaller), and stays as ifc-lite meshes it.

use ifc_lite_core::{DecodedEntity, EntityDecoder, IfcSchema, IfcType};
use ifc_lite_geometry::{
    BoolFailure, BoolFailureReason, BoolOp, BooleanClippingProcessor, Error, GeometryProcessor,
    Mesh, Result, TessellationQuality,
};

/// ifc-lite's boolean processor for `IfcBooleanResult` or `IfcCsgSolid`, whose lost
/// union operands are errors.
pub(crate) struct WholeUnions<P> {
    inner: P,
    types: Vec<IfcType>,
}

impl WholeUnions<BooleanClippingProcessor> {
    /// For `IfcBooleanResult` (clipping results have their own processor, `clip.rs`).
    pub(crate) fn booleans() -> Self {
        WholeUnions {
            inner: BooleanClippingProcessor::new(),
            types: vec![IfcType::IfcBooleanResult],
        }
    }

    /// For `IfcCsgSolid`. ifc-lite's own `CsgSolidProcessor` (not public) runs the
    /// same boolean program from the solid as the boolean processor does, with a
    /// boolean processor of the same settings as its log: this is that processor.
    pub(crate) fn csg() -> Self {
        WholeUnions {
            inner: BooleanClippingProcessor::new(),
            types: vec![IfcType::IfcCsgSolid],
        }
    }
}

impl<P: GeometryProcessor> GeometryProcessor for WholeUnions<P> {
    fn process(
        &self,
        entity: &DecodedEntity,
        decoder: &mut EntityDecoder,
        schema: &IfcSchema,
        quality: TessellationQuality,
    ) -> Result<Mesh> {
        // A failure logged before this item is another item's: not this one's.
        drop(self.inner.take_bool_failures());
        let mesh = self.inner.process(entity, decoder, schema, quality);
        let lost: Vec<BoolFailure> = (self.inner.take_bool_failures().into_iter())
            .filter(loses_volume)
            .collect();
        match lost.first() {
            None => mesh,
            Some(f) => Err(Error::geometry(format!(
                "{} #{}: a boolean union lost an operand ({})",
                entity.ifc_type.name(),
                entity.id,
                f.reason
            ))),
        }
    }

    fn supported_types(&self) -> Vec<IfcType> {
        self.types.clone()
    }
}

/// Whether `f` means the solid came out smaller than written: an operand of a union
/// that did not take part. Disjoint operands (`NoBoundsOverlap`) are both kept.
fn loses_volume(f: &BoolFailure) -> bool {
    f.op == BoolOp::Union && !matches!(f.reason, BoolFailureReason::NoBoundsOverlap)
}
