//! Errors: an input that cannot be checked. Every variant names the file and a place.

/// Why a model or an IDS could not be checked. All of these are bad input (exit 2)
/// except `Io` on a file that exists but cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IdsError {
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The STEP structure is broken (from the shared pre-scan: offset and line).
    #[error(transparent)]
    Step(#[from] zhishen_ifc::IfcError),
    /// A record's parameters cannot be read.
    #[error("{file}: line {line}, entity #{entity}: {what}")]
    ModelSyntax {
        file: String,
        line: usize,
        entity: u64,
        what: String,
    },
    #[error(
        "{file}: FILE_SCHEMA {found:?} is not IFC2X3, IFC4 or IFC4X3; IDS 1.0 covers only these"
    )]
    UnsupportedSchema { file: String, found: String },
    /// The IDS is not well-formed XML.
    #[error("{file}: line {line}: IDS 不是合法 XML / not well-formed XML: {what}")]
    Xml {
        file: String,
        line: u32,
        what: String,
    },
    /// The IDS breaks a rule of ids.xsd (IDS 1.0).
    #[error("{file}: line {line}: IDS 不符合 ids.xsd / invalid against ids.xsd: {rule}")]
    InvalidIds {
        file: String,
        line: u32,
        rule: String,
    },
}

impl IdsError {
    /// Every variant except a failed read of an existing file is the caller's input.
    pub fn is_bad_input(&self) -> bool {
        match self {
            IdsError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            IdsError::Step(e) => e.is_bad_input(),
            _ => true,
        }
    }
}
