//! Errors of definition loading and calendar arithmetic.

use thiserror::Error;

/// Why a definition (calendar, catalogue, process) could not be loaded or used.
/// Every variant names the document and the field or entity at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    /// The TOML text does not parse or does not have the expected shape.
    #[error("{doc}: TOML 格式错误 invalid TOML: {message}")]
    Toml { doc: String, message: String },
    /// A field holds a value that is not allowed.
    #[error("{doc}: 字段 `{field}` 无效 invalid field: {message}")]
    Field {
        doc: String,
        field: String,
        message: String,
    },
    /// A date lies in a year the calendar does not cover; we never guess.
    #[error("工作日历未覆盖 {year} 年 calendar does not cover year {year} (covered: {covered})")]
    UncoveredYear { year: i32, covered: String },
    /// Two calendars or definitions do not fit together.
    #[error("定义不一致 inconsistent definitions: {0}")]
    Mismatch(String),
}

impl WorkflowError {
    pub(crate) fn field(doc: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        WorkflowError::Field {
            doc: doc.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// The year when the error is an uncovered calendar year.
    pub fn uncovered_year(&self) -> Option<i32> {
        match self {
            WorkflowError::UncoveredYear { year, .. } => Some(*year),
            _ => None,
        }
    }
}
