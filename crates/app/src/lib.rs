//! zhishen-app: the application layer 应用层. Everything a user can do — review a model,
//! publish definitions, submit a model to a case, run review jobs, relay the outbox to
//! the 工改 exchange — is one function here, called by both binaries: the `zhishen` CLI
//! and the HTTP server are thin adapters that parse arguments or requests, call these,
//! and render the result. The domain crates below (`workflow`, `rules`) stay pure; this
//! layer does the IO.
//!
//! Errors are one type, [`AppError`], mapped to an exit code and to an HTTP status in
//! one place each. Ids that cross this boundary are newtypes ([`ids`]).

pub mod auth;
pub mod cases;
pub mod credit;
pub mod defs;
pub mod demo;
mod error;
pub mod exchange;
pub mod ids;
pub mod ids_check;
mod ids_gate;
pub mod inputs;
pub mod licences;
pub mod materials;
pub mod precheck;
pub mod review;
pub mod risk;
pub mod site_package;
pub mod snapshot;
pub mod supervision;
pub mod twin;
pub mod upload;

pub use error::AppError;
pub use ids::{CaseId, ItemCode, RequestId, Sha256};
pub use upload::{StoredUpload, UploadKind, UploadLimits, UploadSink};
