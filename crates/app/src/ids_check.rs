//! IDS checking 信息交付规范核查: a model file against an IDS file (`zhishen_ids`), one
//! call for every front end. The IDS is validated before the model is read; an invalid
//! IDS or an unreadable model is `BadInput` (exit 2), a file that exists but cannot be
//! read is `Internal`.

use crate::AppError;
use std::path::Path;
pub use zhishen_ids::{IdsError, IdsReport};

impl From<IdsError> for AppError {
    fn from(e: IdsError) -> AppError {
        if e.is_bad_input() {
            AppError::BadInput(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

/// Checks `model` (IFC-SPF) against `ids` (IDS 1.0 XML).
pub fn check(model: &Path, ids: &Path) -> Result<IdsReport, AppError> {
    Ok(zhishen_ids::check_paths(model, ids)?)
}
