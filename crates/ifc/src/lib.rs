//! IFC ingestion for zhishen 智审.
//!
//! [`load_path`] / [`load_bytes`] turn an IFC-SPF file (IFC2X3, IFC4, IFC4X3) into a
//! [`Model`]: header, units, spatial structure, spaces with areas, elements with
//! flattened property sets and world-coordinate meshes, georeferencing and the
//! building facts the planning checks need. [`load_bytes_timed`] also says where the
//! time went ([`LoadTimings`]); [`load_bytes_with`] / [`load_path_with`] report
//! [`Progress`] and can be stopped by a [`Cancel`] ([`LoadOptions`]). ifc-lite does the decoding and
//! meshing; none of its types cross this crate's boundary.

mod clip;
mod error;
mod facts;
pub mod file;
pub mod footprint;
pub mod georef;
pub mod header;
mod load;
mod model;
mod primitive;
mod progress;
pub mod report;
pub mod step;
mod tube;
mod union;
pub mod units;

pub use error::{Diagnostic, IfcError, Severity};
pub use georef::{Confidence, Crs, Georef, MapConversion, SiteRef};
pub use header::Header;
pub use load::{load_bytes, load_bytes_timed, load_bytes_with, load_path, load_path_with};
pub use model::*;
pub use progress::{
    process_memory, Cancel, LoadOptions, MemoryMib, Progress, ProgressSink, Stage, Unit,
};
