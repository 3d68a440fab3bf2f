//! Errors (the file cannot be read) and diagnostics (it was read, with caveats).

use serde::Serialize;

/// A file that cannot become a [`crate::Model`]. Every variant names where.
#[derive(Debug, thiserror::Error)]
pub enum IfcError {
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: empty file (0 bytes)")]
    Empty { file: String },
    #[error("{file}: not a STEP/IFC file: expected 'ISO-10303-21;' at byte 0, found {found:?}")]
    NotStep { file: String, found: String },
    #[error("{file}: binary content at byte {offset} (NUL byte); an IFC-SPF file is text")]
    Binary { file: String, offset: usize },
    #[error("{file}: {what} at byte {offset} (line {line})")]
    Syntax {
        file: String,
        offset: usize,
        line: usize,
        what: String,
    },
    #[error(
        "{file}: file is truncated: {what} starting at byte {offset} (line {line}) is never closed"
    )]
    Truncated {
        file: String,
        offset: usize,
        line: usize,
        what: String,
    },
    #[error("{file}: duplicate entity id #{id} at byte {offset} (line {line}); first defined at byte {first_offset}")]
    DuplicateId {
        file: String,
        id: u64,
        offset: usize,
        line: usize,
        first_offset: usize,
    },
    #[error("{file}: too many entities with ids above 2^32-1 to renumber ({count})")]
    IdSpace { file: String, count: usize },
    #[error("{file}: no IfcProject in the DATA section; not a complete IFC model{notes}")]
    NoProject { file: String, notes: String },
    /// The caller cancelled the load ([`crate::Cancel`]); nothing of it is kept.
    #[error("{file}: 读取已取消 load cancelled")]
    Cancelled { file: String },
}

impl IfcError {
    /// Every variant except `Io` and `Cancelled` is a problem with the input itself
    /// (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, IfcError::Io { .. } | IfcError::Cancelled { .. })
    }

    /// The load was cancelled by its caller, not refused.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, IfcError::Cancelled { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
}

/// Something the reader noticed and worked around. Codes are stable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

impl Diagnostic {
    pub fn warn(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            entity: None,
            offset: None,
        }
    }
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Info,
            ..Diagnostic::warn(code, message)
        }
    }
    pub fn at_entity(mut self, id: u64) -> Self {
        self.entity = Some(id);
        self
    }
    pub fn at_offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// Findings listed one by one before the rest are summarised in a count.
pub(crate) const MAX_LISTED: usize = 20;

/// Pushes `one(item)` for the first [`MAX_LISTED`] items and one summary for the rest,
/// e.g. "12 more elements could not be meshed" (`rest` = "elements could not be meshed").
pub(crate) fn push_listed<T>(
    diags: &mut Vec<Diagnostic>,
    items: &[T],
    code: &'static str,
    rest: &str,
    one: impl Fn(&T) -> Diagnostic,
) {
    diags.extend(items.iter().take(MAX_LISTED).map(one));
    if items.len() > MAX_LISTED {
        diags.push(Diagnostic::warn(
            code,
            format!("{} more {rest}", items.len() - MAX_LISTED),
        ));
    }
}
