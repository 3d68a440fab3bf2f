//! Projection integrity: the `case.state` column is derived data (the fold of the case's
//! events), but commands are decided on it. An attacker with write access to the
//! database could edit it (a project name, an item's status) and the hash chain would
//! still verify, since it covers the events, not the projection. So `audit verify`
//! replays every case's events through `workflow::apply` and names each case whose
//! stored projection differs, with the first differing field.

use crate::{Store, StoreError};
use serde::Serialize;
use sqlx::Row;
use zhishen_workflow::{CaseId, Event};

/// A case whose stored projection is not what its events give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionMismatch {
    pub case_id: String,
    /// JSON path of the first difference, e.g. `project_name` or `items[2].state`.
    pub path: String,
    pub stored: serde_json::Value,
    pub replayed: serde_json::Value,
}

/// The first path where `a` and `b` differ, with both values there.
fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: String,
) -> Option<(String, serde_json::Value, serde_json::Value)> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let null = serde_json::Value::Null;
                first_difference(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), p)
            })
        }
        (Array(x), Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some((path, a.clone(), b.clone())),
    }
}

impl Store {
    /// Replays every case's events and returns the cases whose stored projection
    /// differs from the replay (empty when all agree).
    pub async fn verify_projections(&self) -> Result<Vec<ProjectionMismatch>, StoreError> {
        let rows = sqlx::query("SELECT id, state FROM \"case\" ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.try_get(0)?;
            let text: String = r.try_get(1)?;
            out.extend(self.compare_projection(id, &text).await?);
        }
        Ok(out)
    }

    /// The same check for one case, made before anyone acts on it (the server
    /// refuses to decide a command on a forged projection). `None`: it agrees, or
    /// the case does not exist.
    pub async fn verify_projection(
        &self,
        case_id: &CaseId,
    ) -> Result<Option<ProjectionMismatch>, StoreError> {
        let text: Option<String> = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = $1")
            .bind(case_id.as_str())
            .fetch_optional(self.pool())
            .await?;
        match text {
            Some(t) => {
                self.compare_projection(case_id.as_str().to_string(), &t)
                    .await
            }
            None => Ok(None),
        }
    }

    async fn compare_projection(
        &self,
        id: String,
        text: &str,
    ) -> Result<Option<ProjectionMismatch>, StoreError> {
        let stored: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("case {id}: projection JSON: {e}")))?;
        let case_id = CaseId::new(id.clone())
            .map_err(|e| StoreError::Corrupt(format!("case row {id:?}: {e}")))?;
        let replayed = self.replay_projection(&case_id, &stored).await?;
        Ok(
            first_difference(&stored, &replayed, String::new()).map(|(path, s, p)| {
                ProjectionMismatch {
                    case_id: id,
                    path,
                    stored: s,
                    replayed: p,
                }
            }),
        )
    }

    /// The projection the case's events give, under the definitions the stored
    /// projection pins (a forged pin makes the replay differ where the events say
    /// otherwise).
    async fn replay_projection(
        &self,
        case_id: &CaseId,
        stored: &serde_json::Value,
    ) -> Result<serde_json::Value, StoreError> {
        let pinned: zhishen_workflow::Case = serde_json::from_value(stored.clone())
            .map_err(|e| StoreError::Corrupt(format!("case {case_id}: projection: {e}")))?;
        let defs = self.case_definitions(&pinned).await?;
        let mut case = None;
        for rec in self.events(case_id).await? {
            let ev: Event = serde_json::from_value(rec.payload.clone()).map_err(|e| {
                StoreError::Corrupt(format!(
                    "case_event row {} ({case_id} seq {}): payload: {e}",
                    rec.row_id, rec.seq
                ))
            })?;
            // Events that passed the chain check can still be hostile (a forged row with
            // a recomputed hash); a panic in the fold is a finding, not a crash.
            let prev = case.take();
            case = Some(
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    zhishen_workflow::apply(prev, &ev, &defs)
                }))
                .map_err(|_| {
                    StoreError::Corrupt(format!(
                        "case_event row {} ({case_id} seq {}): the event cannot be applied to the case",
                        rec.row_id, rec.seq
                    ))
                })?,
            );
        }
        serde_json::to_value(&case)
            .map_err(|e| StoreError::Corrupt(format!("case {case_id}: replay: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_difference_is_named_by_its_path() {
        let a = json!({"project_name": "A", "items": [{"state": "accepted"}, {"state": "done"}]});
        let b = json!({"project_name": "A", "items": [{"state": "accepted"}, {"state": "open"}]});
        let (p, x, y) = first_difference(&a, &b, String::new()).unwrap();
        assert_eq!(p, "items[1].state");
        assert_eq!((x, y), (json!("done"), json!("open")));
        assert_eq!(first_difference(&a, &a, String::new()), None);
        let c = json!({"project_name": "B", "items": []});
        assert_eq!(first_difference(&a, &c, String::new()).unwrap().0, "items");
    }
}
