//! zhishen-ids: checking IFC models against buildingSMART IDS 1.0 (Information Delivery
//! Specification, 信息交付规范) documents.
//!
//! Why a crate of its own: IDS looks at the raw entity graph — any attribute by its
//! EXPRESS name, property sets, classifications, materials, relations — for IFC2X3,
//! IFC4 and IFC4X3_ADD2 alike, while `zhishen-ifc` reduces a model to the building facts
//! the planning checks need. The two share the STEP pre-scan (`zhishen_ifc::step`) and
//! the header reader; everything else here is driven by a schema table generated from
//! the EXPRESS schemas (`schema`, `gen/gen_schema.py`).
//!
//! Flow: [`spec::parse`] (XML + validation against the structure of ids.xsd) →
//! [`Model::load`] (records, relations, units) → [`check::check`] → [`IdsReport`]
//! (JSON; [`report::to_html`], [`bcf::to_bcf`]). Nothing panics on input; every error
//! is an [`IdsError`] naming the file and the line.

pub mod bcf;
pub mod check;
mod describe;
mod error;
pub mod facets;
pub mod model;
mod property;
pub mod report;
pub mod schema;
pub mod spec;
pub mod step;
pub mod units;
pub mod value;

pub use error::IdsError;
pub use model::Model;
pub use report::{IdsReport, Status};
pub use schema::IfcVersion;
pub use spec::{Cardinality, FacetType, Ids};

use std::path::Path;

fn read(path: &Path) -> Result<Vec<u8>, IdsError> {
    std::fs::read(path).map_err(|source| IdsError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Parses an IDS document from bytes (UTF-8; a byte-order mark is allowed).
pub fn parse_ids(bytes: &[u8], file: &str) -> Result<Ids, IdsError> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| IdsError::Xml {
        file: file.into(),
        line: (bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1) as u32,
        what: "not UTF-8 text".into(),
    })?;
    spec::parse(text, file)
}

/// Checks model bytes against IDS bytes. The IDS is validated first, so an invalid IDS
/// is refused before the model is read.
pub fn check_bytes(
    model: Vec<u8>,
    model_file: &str,
    ids: &[u8],
    ids_file: &str,
) -> Result<IdsReport, IdsError> {
    let ids = parse_ids(ids, ids_file)?;
    let model = Model::load(model, model_file)?;
    Ok(check::check(&model, &ids, ids_file))
}

/// [`check_bytes`] on files.
pub fn check_paths(model: &Path, ids: &Path) -> Result<IdsReport, IdsError> {
    let ids_bytes = read(ids)?;
    let ids_name = ids.display().to_string();
    let parsed = parse_ids(&ids_bytes, &ids_name)?;
    let model_name = model.display().to_string();
    let model = Model::load(read(model)?, &model_name)?;
    Ok(check::check(&model, &parsed, &ids_name))
}
