//! Glue between event rows and `zhishen_audit`: building a row (canonical
//! bytes, chain hash, log leaf), writing it, reading it back, exporting rows
//! for `verify_log`.

use crate::script::Script;
use crate::StoreError;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;
use zhishen_audit::HashAlg;
use zhishen_workflow::{Actor, Case, CaseId, Command, Event, EventKind, RequestId};

/// An event as stored (returned by `execute`, `events`, `case show`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRecord {
    /// `case_event.id` (the database row id; `audit verify` names it).
    pub row_id: i64,
    pub case_id: CaseId,
    pub seq: u64,
    pub kind: EventKind,
    pub actor_id: String,
    pub actor_role: String,
    pub actor_dept: Option<String>,
    pub occurred_at: String,
    pub log_index: u64,
    pub alg: String,
    pub hash: String,
    pub request_id: RequestId,
    pub payload: serde_json::Value,
}

/// A row being appended.
pub(crate) struct NewRow {
    pub row_id: i64,
    pub case_id: CaseId,
    pub seq: u64,
    pub kind: EventKind,
    pub actor_id: String,
    pub actor_role: String,
    pub actor_dept: Option<String>,
    pub on_behalf_of: Option<String>,
    pub occurred_at: String,
    pub occurred_ms: i64,
    pub process_version: String,
    pub catalogue_version: String,
    pub calendar_version: String,
    pub payload: serde_json::Value,
    pub payload_text: String,
    pub alg: HashAlg,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub leaf_hash: [u8; 32],
    pub log_index: u64,
    pub request_id: RequestId,
    pub request_part: usize,
}

impl From<NewRow> for EventRecord {
    fn from(r: NewRow) -> Self {
        EventRecord {
            row_id: r.row_id,
            case_id: r.case_id,
            seq: r.seq,
            kind: r.kind,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            actor_dept: r.actor_dept,
            occurred_at: r.occurred_at,
            log_index: r.log_index,
            alg: r.alg.as_str().to_string(),
            hash: hex::encode(r.hash),
            request_id: r.request_id,
            payload: r.payload,
        }
    }
}

/// The stable text of a role as stored in `actor_role`.
pub(crate) fn role_text(actor: &Actor) -> Result<String, StoreError> {
    Ok(actor.role.as_str().to_string())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    alg: HashAlg,
    prev: &[u8; 32],
    case_id: &CaseId,
    case_after: &Case,
    ev: &Event,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    request_id: &RequestId,
    part: usize,
) -> Result<NewRow, StoreError> {
    let payload = serde_json::to_value(ev)?;
    let payload_text = serde_json::to_string(&payload)?;
    let mut row = NewRow {
        row_id: 0,
        case_id: case_id.clone(),
        seq: case_after.seq,
        kind: ev.kind(),
        actor_id: actor.id.clone(),
        actor_role: role_text(actor)?,
        actor_dept: actor.dept.clone(),
        on_behalf_of: actor.on_behalf_of.clone(),
        occurred_at: crate::rfc3339(&now),
        occurred_ms: now.timestamp_millis(),
        process_version: case_after.process_version.clone(),
        catalogue_version: case_after.catalogue_version.clone(),
        calendar_version: case_after.calendar_version.clone(),
        payload,
        payload_text,
        alg,
        prev_hash: *prev,
        hash: [0; 32],
        leaf_hash: [0; 32],
        log_index: 0,
        request_id: request_id.clone(),
        request_part: part,
    };
    let content = content_of(&row, now);
    let canonical = zhishen_audit::event_canonical(&content);
    row.hash = zhishen_audit::chain_hash(alg, prev, &canonical);
    row.leaf_hash = zhishen_audit::event_leaf(&row.hash);
    Ok(row)
}

/// Rebuilds what is hashed from the row's columns. The store hashes exactly
/// this at write time and `audit verify` rebuilds it from the columns, so a
/// change to any hashed column (payload included) breaks the hash.
#[allow(clippy::too_many_arguments)]
pub(crate) fn content(
    case_id: &str,
    seq: u64,
    kind: &str,
    actor_id: &str,
    actor_role: &str,
    actor_dept: Option<&str>,
    on_behalf_of: Option<&str>,
    occurred_at: DateTime<FixedOffset>,
    versions: [&str; 3],
    payload: serde_json::Value,
) -> zhishen_audit::EventContent {
    let mut v = BTreeMap::new();
    v.insert("process_version".to_string(), versions[0].to_string());
    v.insert("catalogue_version".to_string(), versions[1].to_string());
    v.insert("calendar_version".to_string(), versions[2].to_string());
    // EventContent has no department field; keep the actor's department
    // under the hash through the versions map rather than leave it unprotected.
    if let Some(d) = actor_dept {
        v.insert("actor_dept".to_string(), d.to_string());
    }
    zhishen_audit::EventContent {
        case_id: case_id.to_string(),
        seq,
        kind: kind.to_string(),
        actor_id: actor_id.to_string(),
        actor_role: actor_role.to_string(),
        on_behalf_of: on_behalf_of.map(str::to_string),
        occurred_at,
        versions: v,
        payload,
    }
}

fn content_of(r: &NewRow, at: DateTime<FixedOffset>) -> zhishen_audit::EventContent {
    content(
        r.case_id.as_str(),
        r.seq,
        r.kind.as_str(),
        &r.actor_id,
        &r.actor_role,
        r.actor_dept.as_deref(),
        r.on_behalf_of.as_deref(),
        at,
        [
            &r.process_version,
            &r.catalogue_version,
            &r.calendar_version,
        ],
        r.payload.clone(),
    )
}

/// Adds a command's rows to `script`: one outbox row per event, then the
/// events (multi-row, `RETURNING id, seq, log_index`) and their log leaves.
/// The caller has given each row its `log_index` and bumped `log_head`.
pub(crate) fn append(script: &mut Script, rows: &[NewRow]) {
    if rows.is_empty() {
        return;
    }
    script
        .sql("INSERT INTO outbox (topic, msg_key, payload, idempotency_key, next_attempt_ms, created_at)")
        .values(rows, |t, r| {
            t.bind("case.event")
                .bind(r.case_id.as_str().to_string())
                .bind(r.payload_text.clone())
                .bind(format!("{}:{}", r.case_id, r.seq))
                .bind(r.occurred_ms)
                .bind(r.occurred_at.clone());
        })
        .end();
    case_event_values(script, rows)
        // RETURNING order is unspecified for multi-row inserts: match on seq.
        .sql(" RETURNING id, case_id, seq, log_index")
        .returning()
        .end();
    script
        .sql("INSERT INTO log_leaf (idx, leaf_hash)")
        .values(rows, |t, r| {
            t.bind(r.log_index as i64).bind(r.leaf_hash.to_vec());
        })
        .end();
}

/// Sets each row's database id and log index from the `RETURNING id,
/// case_id, seq, log_index` rows.
pub(crate) fn set_returned(rows: &mut [NewRow], returned: &[AnyRow]) -> Result<(), StoreError> {
    let mut at: std::collections::HashMap<(String, u64), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.case_id.as_str().to_string(), r.seq), i))
        .collect();
    for got in returned {
        let id: i64 = got.try_get(0)?;
        let case_id: String = got.try_get(1)?;
        let seq = crate::u64_of(got.try_get(2)?, "case_event.seq")?;
        let index = crate::u64_of(got.try_get(3)?, "case_event.log_index")?;
        if let Some(i) = at.remove(&(case_id, seq)) {
            rows[i].row_id = id;
            rows[i].log_index = index;
        }
    }
    if let Some(r) = rows.iter().find(|r| r.row_id == 0) {
        return Err(StoreError::Corrupt(format!(
            "case {}: the insert of event seq {} returned no row id",
            r.case_id, r.seq
        )));
    }
    Ok(())
}

pub(crate) const SELECT_EVENTS: &str = "SELECT id, case_id, seq, kind, actor_id, actor_role, actor_dept, occurred_at, log_index, alg, hash, request_id, payload FROM case_event";

pub(crate) fn record_of(r: &AnyRow) -> Result<EventRecord, StoreError> {
    let hash: Vec<u8> = r.try_get(10)?;
    let payload: String = r.try_get(12)?;
    let row_id: i64 = r.try_get(0)?;
    let case_id: String = r.try_get(1)?;
    let kind: String = r.try_get(3)?;
    let request_id: String = r.try_get(11)?;
    let what = || format!("case_event row {row_id}");
    Ok(EventRecord {
        row_id,
        case_id: crate::stored(CaseId::new(case_id), what)?,
        seq: crate::u64_of(r.try_get(2)?, "case_event.seq")?,
        kind: crate::stored(EventKind::parse(&kind), what)?,
        actor_id: r.try_get(4)?,
        actor_role: r.try_get(5)?,
        actor_dept: r.try_get(6)?,
        occurred_at: r.try_get(7)?,
        log_index: crate::u64_of(r.try_get(8)?, "case_event.log_index")?,
        alg: r.try_get(9)?,
        hash: hex::encode(hash),
        request_id: crate::stored(RequestId::new(request_id), what)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            StoreError::Corrupt(format!("case_event row {row_id}: payload JSON: {e}"))
        })?,
    })
}

/// The command a due timer sends.
pub(crate) fn fire_timer_command(timer_id: &str) -> Command {
    Command::FireTimer {
        timer_id: timer_id.to_string(),
    }
}

/// The multi-row `INSERT INTO case_event … VALUES …` of `rows`, left open for a
/// `RETURNING` clause: the case chains and the credit streams write the same columns.
pub(crate) fn case_event_values<'s>(script: &'s mut Script, rows: &[NewRow]) -> &'s mut Script {
    script.sql("INSERT INTO case_event (case_id, seq, kind, actor_id, actor_role, actor_dept, on_behalf_of, occurred_at, process_version, catalogue_version, calendar_version, payload, alg, prev_hash, hash, log_index, request_id, request_part)")
        .values(rows, |t, r| {
            t.bind(r.case_id.as_str().to_string())
                .bind(r.seq as i64)
                .bind(r.kind.as_str())
                .bind(r.actor_id.clone())
                .bind(r.actor_role.clone())
                .bind(r.actor_dept.clone())
                .bind(r.on_behalf_of.clone())
                .bind(r.occurred_at.clone())
                .bind(r.process_version.clone())
                .bind(r.catalogue_version.clone())
                .bind(r.calendar_version.clone())
                .bind(r.payload_text.clone())
                .bind(r.alg.as_str())
                .bind(r.prev_hash.to_vec())
                .bind(r.hash.to_vec())
                .bind(r.log_index as i64)
                .bind(r.request_id.as_str().to_string())
                .bind(r.request_part as i64);
        })
}
