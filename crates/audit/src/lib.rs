//! zhishen-audit 审计: tamper-evident audit primitives and signed e-licences (电子证照).
//!
//! Pure crypto and formats, no IO: callers pass bytes and times in.
//!
//! * [`canonical_json`]: RFC 8785 (JCS) canonical bytes of a JSON value.
//! * [`chain_hash`]: the per-case hash chain (SHA-256 or SM3, chosen per row).
//! * [`merkle`]: the global RFC 6962 / 9162 Merkle log with inclusion and consistency proofs.
//! * [`Checkpoint`] / [`SignedCheckpoint`]: signed tree heads in the C2SP signed-note form.
//! * [`Signer`], [`verify_signature`], [`TrustedKeys`]: Ed25519 (default) and SM2 (国密).
//! * [`verify_log`]: offline verification of exported event and leaf rows.
//! * [`licence`]: signed e-licences with an HTML rendering and a QR code.

mod checkpoint;
mod error;
mod hash;
mod jcs;
pub mod licence;
pub mod merkle;
mod sign;
mod verify;

pub use checkpoint::{Checkpoint, NoteSignature, SignedCheckpoint};
pub use error::AuditError;
pub use hash::{chain_hash, hex, unhex, HashAlg, CHAIN_DOMAIN, GENESIS};
pub use jcs::{canonical_json, canonical_json_of};
pub use sign::{
    note_key_hash, verify_signature, Ed25519Signer, SigAlg, Signer, Sm2Signer, TrustedKey,
    TrustedKeys, SM2_DEFAULT_USER_ID,
};
pub use verify::{
    event_canonical, event_leaf, verify_log, EventContent, EventRow, LeafRow, Problem, ProblemKind,
    VerifyReport,
};
