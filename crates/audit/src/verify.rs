//! Event rows: their canonical bytes, their global leaf, and offline verification of an
//! exported log (per-case hash chains + global Merkle log + signed checkpoints).

use crate::merkle::{self, Frontier};
use crate::{canonical_json, chain_hash, hex, HashAlg, SignedCheckpoint, TrustedKeys, GENESIS};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What is hashed for one event. The store builds this when writing, keeps the bytes of
/// [`event_canonical`] in the row, and the verifier checks them, so both share one encoding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventContent {
    pub case_id: String,
    /// 1 for a case's first event, gap-free.
    pub seq: u64,
    /// `Event::kind()`, e.g. `case_created`.
    pub kind: String,
    pub actor_id: String,
    pub actor_role: String,
    /// Agent acting for the applicant (帮办代办), if any.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// Server time; written with microsecond precision (what PostgreSQL keeps).
    pub occurred_at: DateTime<FixedOffset>,
    /// Definition versions the case is pinned to, e.g. `process_version`, `calendar_version`.
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    /// `serde_json::to_value(&event)`.
    pub payload: Value,
}

/// Format version inside the canonical bytes, so the encoding can evolve.
pub const EVENT_FORMAT: u32 = 1;

/// Canonical (RFC 8785) bytes of an event:
/// `{"actor":{"id","on_behalf_of","role"},"case_id","kind","occurred_at","payload","seq","v":1,"versions"}`.
pub fn event_canonical(c: &EventContent) -> Vec<u8> {
    let v = json!({
        "v": EVENT_FORMAT,
        "case_id": c.case_id,
        "seq": c.seq,
        "kind": c.kind,
        "actor": { "id": c.actor_id, "role": c.actor_role, "on_behalf_of": c.on_behalf_of },
        "occurred_at": c.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, false),
        "versions": c.versions,
        "payload": c.payload,
    });
    canonical_json(&v)
}

/// Leaf hash of an event in the global log: `merkle::leaf_hash(event_hash)`.
pub fn event_leaf(event_hash: &[u8; 32]) -> [u8; 32] {
    merkle::leaf_hash(event_hash)
}

/// One exported `case_event` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub case_id: String,
    pub seq: u64,
    pub kind: String,
    pub alg: HashAlg,
    /// [`event_canonical`] bytes as stored.
    pub canonical: Vec<u8>,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    /// Position in the global log (commit order), 0-based.
    pub log_index: u64,
}

/// One exported `log_leaf` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafRow {
    pub index: u64,
    pub leaf_hash: [u8; 32],
}

/// What kind of tampering a problem shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Content or a column differs from what was hashed (hash mismatch).
    Altered,
    /// `prev_hash` does not link to the case's previous event.
    ChainBroken,
    /// Rows missing: a seq gap, a leaf without its event, a log truncated below a checkpoint.
    Deleted,
    /// Rows out of order: seq going backwards, or log order differing from seq order.
    Reordered,
    /// A checkpoint's root differs from the root rebuilt from the leaves.
    CheckpointMismatch,
    /// A checkpoint signature does not verify against the trusted keys.
    BadSignature,
}

impl ProblemKind {
    pub fn zh(self) -> &'static str {
        match self {
            ProblemKind::Altered => "内容被篡改",
            ProblemKind::ChainBroken => "哈希链断裂",
            ProblemKind::Deleted => "记录被删除",
            ProblemKind::Reordered => "顺序被调换",
            ProblemKind::CheckpointMismatch => "检查点根哈希不符",
            ProblemKind::BadSignature => "检查点签名无效",
        }
    }
}

/// The first divergence found, naming the row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Case of the offending event row, when there is one.
    pub case_id: Option<String>,
    pub seq: Option<u64>,
    /// Global log position (the row's `log_index`, or the missing index).
    pub log_index: Option<u64>,
    /// Index into the `events` slice passed in (the exported DB row).
    pub row: Option<usize>,
    /// Checkpoint size, for checkpoint problems.
    pub checkpoint_size: Option<u64>,
    /// English detail.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.kind.zh(), self.kind)?;
        if let Some(c) = &self.case_id {
            write!(f, " case {c}")?;
        }
        if let Some(s) = self.seq {
            write!(f, " seq {s}")?;
        }
        if let Some(i) = self.log_index {
            write!(f, " log_index {i}")?;
        }
        if let Some(r) = self.row {
            write!(f, " row {r}")?;
        }
        if let Some(n) = self.checkpoint_size {
            write!(f, " checkpoint size {n}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// Result of [`verify_log`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    /// Event rows examined.
    pub events: u64,
    /// Distinct cases seen.
    pub cases: u64,
    /// Leaf rows given.
    pub leaves: u64,
    /// Checkpoints whose signature and root were verified.
    pub checkpoints: u64,
    pub first_problem: Option<Problem>,
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    case_id: Cow<'a, str>,
    seq: u64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
}

/// Row-local check, independent of other rows so it runs in parallel.
fn local_check(e: &EventRow) -> Result<(), String> {
    if chain_hash(e.alg, &e.prev_hash, &e.canonical) != e.hash {
        return Err(format!(
            "stored hash {} is not {}(domain || prev_hash || content)",
            hex(&e.hash[..8]),
            e.alg
        ));
    }
    let h: Head = serde_json::from_slice(&e.canonical)
        .map_err(|err| format!("hashed content is not an event object: {err}"))?;
    if h.case_id != e.case_id {
        return Err(format!(
            "column case_id `{}` differs from hashed `{}`",
            e.case_id, h.case_id
        ));
    }
    if h.seq != e.seq {
        return Err(format!(
            "column seq {} differs from hashed {}",
            e.seq, h.seq
        ));
    }
    if h.kind != e.kind {
        return Err(format!(
            "column kind `{}` differs from hashed `{}`",
            e.kind, h.kind
        ));
    }
    Ok(())
}

struct CaseState {
    next_seq: u64,
    last_hash: [u8; 32],
}

/// Verifies an exported log offline and reports the first divergence in log order.
///
/// Checks: each row's hash over its canonical content and its columns against that content;
/// per-case seq continuity and `prev_hash` links; one leaf per event equal to
/// `event_leaf(hash)`, with no leaf or index missing; every checkpoint's signature against
/// `keys`, and its root against the root rebuilt from the leaves (a checkpoint larger than the
/// log means truncation). Rows may come in any order; they are taken in `log_index` order.
pub fn verify_log(
    events: &[EventRow],
    leaves: &[LeafRow],
    checkpoints: &[SignedCheckpoint],
    keys: &TrustedKeys,
) -> VerifyReport {
    let mut report = VerifyReport {
        ok: false,
        events: events.len() as u64,
        cases: 0,
        leaves: leaves.len() as u64,
        checkpoints: 0,
        first_problem: None,
    };
    let problem = run(events, leaves, checkpoints, keys, &mut report);
    report.ok = problem.is_none();
    report.first_problem = problem;
    tracing::debug!(
        events = report.events,
        cases = report.cases,
        checkpoints = report.checkpoints,
        ok = report.ok,
        "verify_log"
    );
    report
}

fn run(
    events: &[EventRow],
    leaves: &[LeafRow],
    checkpoints: &[SignedCheckpoint],
    keys: &TrustedKeys,
    report: &mut VerifyReport,
) -> Option<Problem> {
    // Log order; exports are usually sorted already, so check before sorting.
    let mut order: Vec<usize> = (0..events.len()).collect();
    if !events.windows(2).all(|w| w[0].log_index <= w[1].log_index) {
        order.sort_by_key(|&i| events[i].log_index);
    }
    let mut leaf_order: Vec<usize> = (0..leaves.len()).collect();
    if !leaves.windows(2).all(|w| w[0].index <= w[1].index) {
        leaf_order.sort_by_key(|&i| leaves[i].index);
    }
    // Hash and column checks in parallel (the expensive part); results read in log order.
    let local: Vec<Result<(), String>> = events.par_iter().map(local_check).collect();

    // Checkpoints in size order, each with its signature verdict.
    let mut cps: Vec<(&SignedCheckpoint, Result<(), String>)> = checkpoints
        .iter()
        .map(|c| (c, c.verify(keys).map(|_| ()).map_err(|e| e.to_string())))
        .collect();
    cps.sort_by_key(|(c, _)| c.checkpoint.size);
    let mut next_cp = 0;

    let at = |kind, i: usize, detail: String| {
        let e = &events[i];
        Some(Problem {
            kind,
            case_id: Some(e.case_id.clone()),
            seq: Some(e.seq),
            log_index: Some(e.log_index),
            row: Some(i),
            checkpoint_size: None,
            detail,
        })
    };
    let gap = |kind, idx: u64, detail: String| {
        Some(Problem {
            kind,
            case_id: None,
            seq: None,
            log_index: Some(idx),
            row: None,
            checkpoint_size: None,
            detail,
        })
    };

    let mut cases: FxHashMap<&str, CaseState> = FxHashMap::default();
    let mut frontier = Frontier::new();
    let (mut ei, mut li) = (0usize, 0usize);
    let mut pos: u64 = 0;
    loop {
        // Checkpoints that end here.
        while next_cp < cps.len() && cps[next_cp].0.checkpoint.size == frontier.size() {
            let (c, sig) = &cps[next_cp];
            if let Some(p) = checkpoint_problem(c, sig, frontier.root()) {
                return Some(p);
            }
            report.checkpoints += 1;
            next_cp += 1;
        }
        let ev = order.get(ei).copied();
        let lf = leaf_order.get(li).copied();
        if ev.is_none() && lf.is_none() {
            break;
        }
        let ev_here = ev.filter(|&i| events[i].log_index == pos);
        let lf_here = lf.filter(|&i| leaves[i].index == pos);
        if let Some(i) = ev.filter(|&i| events[i].log_index < pos) {
            return at(
                ProblemKind::Reordered,
                i,
                format!("log_index {} used twice", events[i].log_index),
            );
        }
        if let Some(i) = lf.filter(|&i| leaves[i].index < pos) {
            return gap(
                ProblemKind::Altered,
                leaves[i].index,
                format!("leaf index {} appears twice", leaves[i].index),
            );
        }
        let (i, l) = match (ev_here, lf_here) {
            (Some(i), Some(l)) => (i, l),
            (None, Some(_)) => {
                return gap(
                    ProblemKind::Deleted,
                    pos,
                    format!("leaf {pos} has no event row (event deleted)"),
                )
            }
            (Some(i), None) => {
                return at(
                    ProblemKind::Deleted,
                    i,
                    format!("event has no leaf at {pos} (leaf deleted)"),
                )
            }
            (None, None) => {
                return gap(
                    ProblemKind::Deleted,
                    pos,
                    format!("log index {pos} missing: no event and no leaf"),
                )
            }
        };
        let e = &events[i];
        let st = cases.entry(e.case_id.as_str()).or_insert(CaseState {
            next_seq: 1,
            last_hash: GENESIS,
        });
        if e.seq != st.next_seq {
            let want = st.next_seq;
            if e.seq < want {
                return at(
                    ProblemKind::Reordered,
                    i,
                    format!("seq {} after seq {} in log order", e.seq, want - 1),
                );
            }
            // A later row holding the expected seq means the order changed, not a deletion.
            let later = order[ei + 1..]
                .iter()
                .any(|&j| events[j].case_id == e.case_id && events[j].seq == want);
            return if later {
                at(
                    ProblemKind::Reordered,
                    i,
                    format!("seq {} comes before seq {want} in log order", e.seq),
                )
            } else {
                at(
                    ProblemKind::Deleted,
                    i,
                    format!("seq {want}..{} missing before this row", e.seq - 1),
                )
            };
        }
        if let Err(d) = &local[i] {
            return at(ProblemKind::Altered, i, d.clone());
        }
        if e.prev_hash != st.last_hash {
            return at(
                ProblemKind::ChainBroken,
                i,
                format!(
                    "prev_hash {} does not link to seq {} (hash {})",
                    hex(&e.prev_hash[..8]),
                    e.seq - 1,
                    hex(&st.last_hash[..8])
                ),
            );
        }
        if event_leaf(&e.hash) != leaves[l].leaf_hash {
            return at(
                ProblemKind::Altered,
                i,
                format!("leaf {pos} is not the leaf hash of this event"),
            );
        }
        st.next_seq += 1;
        st.last_hash = e.hash;
        frontier.push(leaves[l].leaf_hash);
        ei += 1;
        li += 1;
        pos += 1;
    }
    report.cases = cases.len() as u64;
    // Checkpoints beyond the end of the log: truncation, unless the checkpoint is forged.
    if let Some((c, sig)) = cps.get(next_cp) {
        if let Err(e) = sig {
            return Some(cp_problem(ProblemKind::BadSignature, c, e.clone()));
        }
        let mut p = gap(
            ProblemKind::Deleted,
            frontier.size(),
            format!(
                "log truncated: signed checkpoint has {} entries, the log {}",
                c.checkpoint.size,
                frontier.size()
            ),
        )?;
        p.checkpoint_size = Some(c.checkpoint.size);
        return Some(p);
    }
    None
}

fn cp_problem(kind: ProblemKind, c: &SignedCheckpoint, detail: String) -> Problem {
    Problem {
        kind,
        case_id: None,
        seq: None,
        log_index: c.checkpoint.size.checked_sub(1),
        row: None,
        checkpoint_size: Some(c.checkpoint.size),
        detail,
    }
}

fn checkpoint_problem(
    c: &SignedCheckpoint,
    sig: &Result<(), String>,
    root: [u8; 32],
) -> Option<Problem> {
    if let Err(e) = sig {
        return Some(cp_problem(ProblemKind::BadSignature, c, e.clone()));
    }
    if c.checkpoint.root != root {
        return Some(cp_problem(
            ProblemKind::CheckpointMismatch,
            c,
            format!(
                "signed root {} but the first {} leaves give {}: a row before index {} was rewritten",
                hex(&c.checkpoint.root[..8]),
                c.checkpoint.size,
                hex(&root[..8]),
                c.checkpoint.size
            ),
        ));
    }
    None
}
