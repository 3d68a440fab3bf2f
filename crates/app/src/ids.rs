//! Identifiers that cross the application boundary, as types rather than `&str`. They
//! are defined in the domain crate (`zhishen_workflow::ids`) because the store takes and
//! returns them too; this module re-exports them so application users keep their paths.
//! A text that fails validation is [`AppError::BadInput`].

use crate::AppError;
pub use zhishen_workflow::ids::{CaseId, IdError, ItemCode, RequestId, Sha256};

impl From<IdError> for AppError {
    fn from(e: IdError) -> AppError {
        AppError::BadInput(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_input<T: std::fmt::Debug>(r: Result<T, IdError>) -> bool {
        matches!(r.map_err(AppError::from), Err(AppError::BadInput(_)))
    }

    #[test]
    fn digests_are_checked_where_they_enter() {
        let d = Sha256::of(b"abc");
        assert_eq!(
            d.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(Sha256::parse(d.as_str()).is_ok());
        assert!(bad_input(Sha256::parse(&d.as_str().to_uppercase())));
        assert!(bad_input(Sha256::parse("abc")));
        assert!(CaseId::new("C-2026-001").is_ok());
        assert!(bad_input(CaseId::new(" ")));
        assert!(bad_input(ItemCode::new("JSGCGHXK\n")));
        let e = AppError::from(CaseId::new(" ").unwrap_err());
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.http_status(), 400);
    }
}
