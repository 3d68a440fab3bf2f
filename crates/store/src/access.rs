//! Users, sessions, API tokens, case scopes and the access audit (访问审计): the rows
//! behind sign-in and authorisation (migration 0005). Plain SQL only: hashing of
//! passwords, TOTP and the decisions of who may do what live in `zhishen-app`.
//!
//! The access audit is its own hash chain (entry n stores SHA-256 of the previous
//! hash and the entry's canonical JSON) so that an edit, insertion or deletion of a
//! row is found by [`Store::verify_access_audit`], as the case event chain is by
//! `audit verify`. Appends take the single `access_head` row's lock, so two server
//! processes append one after the other, never fork the chain.

use crate::{rfc3339, Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256 as ShaHasher};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One user account as stored. `role` is the web role's snake_case name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub enterprise: Option<String>,
    pub dept: Option<String>,
    pub region: String,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub totp_secret: String,
    #[serde(skip)]
    pub totp_last_step: i64,
    pub failed_logins: i64,
    pub locked_until_ms: i64,
    pub disabled: bool,
}

/// A live session as stored (the cookie's id is known only by its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: String,
    pub csrf: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// Who may see a case: filed by an enterprise, in a region, under a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseScope {
    pub case_id: String,
    pub enterprise: String,
    pub region: String,
    pub title: String,
}

/// One access-audit entry before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub user_id: String,
    pub role: String,
    pub action: String,
    pub target: String,
    /// `ok`, `refused`, `denied`, `error`.
    pub result: String,
    pub detail: String,
}

/// A chained access-audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecord {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    pub entry: AccessEntry,
    pub hash: String,
}

/// The outcome of re-hashing the access audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessVerdict {
    pub size: i64,
    pub intact: bool,
    /// The first entry whose hash or link does not hold, with why.
    pub broken_at: Option<(i64, String)>,
}

const USER_COLS: &str = "id, display_name, role, enterprise, dept, region, password_hash, totp_secret, totp_last_step, failed_logins, locked_until_ms, disabled";

fn user_of(r: &AnyRow) -> Result<UserRow, StoreError> {
    let disabled: i64 = r.try_get(11)?;
    Ok(UserRow {
        id: r.try_get(0)?,
        display_name: r.try_get(1)?,
        role: r.try_get(2)?,
        enterprise: r.try_get(3)?,
        dept: r.try_get(4)?,
        region: r.try_get(5)?,
        password_hash: r.try_get(6)?,
        totp_secret: r.try_get(7)?,
        totp_last_step: r.try_get(8)?,
        failed_logins: r.try_get(9)?,
        locked_until_ms: r.try_get(10)?,
        disabled: disabled != 0,
    })
}

/// The chain link: SHA-256(prev hash hex || JSON of seq, time and entry).
fn link(prev: &str, seq: i64, at: &str, e: &AccessEntry) -> String {
    let body = serde_json::json!({
        "seq": seq, "at": at, "user_id": e.user_id, "role": e.role,
        "action": e.action, "target": e.target, "result": e.result, "detail": e.detail,
    });
    let mut h = ShaHasher::new();
    h.update(prev.as_bytes());
    h.update(zhishen_audit::canonical_json(&body));
    hex::encode(h.finalize())
}

impl Store {
    // ------------------------------------------------------------------ users

    /// Adds a user; an existing id is a conflict (`BadInput` naming it).
    pub async fn insert_user(&self, u: &UserRow) -> Result<(), StoreError> {
        // SAFETY (SQL): only the constant column list is formatted in.
        let sql = format!(
            "INSERT INTO app_user ({USER_COLS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&u.id)
            .bind(&u.display_name)
            .bind(&u.role)
            .bind(u.enterprise.clone())
            .bind(u.dept.clone())
            .bind(&u.region)
            .bind(&u.password_hash)
            .bind(&u.totp_secret)
            .bind(u.totp_last_step)
            .bind(u.failed_logins)
            .bind(u.locked_until_ms)
            .bind(i64::from(u.disabled))
            .bind(rfc3339(&self.now()))
            .execute(self.pool())
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::BadInput(format!(
                "user {:?} already exists",
                u.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLS} FROM app_user WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// The user behind an API token (by the token's SHA-256), in one query.
    pub async fn api_token_owner(&self, token_sha256: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLS} FROM app_user WHERE id = (SELECT user_id FROM api_token WHERE token_sha256 = $1)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_sha256)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// A session and its user (by the cookie's SHA-256), in one query; `None` when
    /// either is missing.
    pub async fn session_user(
        &self,
        id_sha256: &str,
    ) -> Result<Option<(SessionRow, UserRow)>, StoreError> {
        let user_cols: Vec<String> = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect();
        let sql = format!(
            "SELECT {}, s.user_id, s.csrf, s.created_ms, s.last_seen_ms FROM app_session s JOIN app_user u ON u.id = s.user_id WHERE s.id_sha256 = $1",
            user_cols.join(", ")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_sha256)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| -> Result<(SessionRow, UserRow), StoreError> {
            let s = SessionRow {
                user_id: r.try_get(12)?,
                csrf: r.try_get(13)?,
                created_ms: r.try_get(14)?,
                last_seen_ms: r.try_get(15)?,
            };
            Ok((s, user_of(&r)?))
        })
        .transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLS} FROM app_user ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_of).collect()
    }

    /// Records a failed sign-in: the counter goes up, and the account locks until
    /// `lock_until_ms` once it reaches `lock_after`. Returns the new count.
    pub async fn note_failed_login(
        &self,
        id: &str,
        lock_after: i64,
        lock_until_ms: i64,
    ) -> Result<i64, StoreError> {
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE app_user SET failed_logins = failed_logins + 1, locked_until_ms = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until_ms END WHERE id = $1 RETURNING failed_logins",
        )
        .bind(id)
        .bind(lock_after)
        .bind(lock_until_ms)
        .fetch_optional(self.pool())
        .await?;
        Ok(n.unwrap_or(0))
    }

    /// A successful sign-in: the counter resets and the TOTP step is spent. The
    /// update holds only when the step is newer than the last one (a replayed code
    /// loses the race); returns whether it held.
    pub async fn note_login(&self, id: &str, totp_step: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE app_user SET failed_logins = 0, locked_until_ms = 0, totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
        )
        .bind(id)
        .bind(totp_step)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// 安全管理员 unlocks an account.
    pub async fn unlock_user(&self, id: &str) -> Result<bool, StoreError> {
        let r =
            sqlx::query("UPDATE app_user SET failed_logins = 0, locked_until_ms = 0 WHERE id = $1")
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(r.rows_affected() == 1)
    }

    // --------------------------------------------------------------- sessions

    pub async fn insert_session(&self, id_sha256: &str, s: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO app_session (id_sha256, user_id, csrf, created_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_sha256)
        .bind(&s.user_id)
        .bind(&s.csrf)
        .bind(s.created_ms)
        .bind(s.last_seen_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_sha256: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, csrf, created_ms, last_seen_ms FROM app_session WHERE id_sha256 = $1",
        )
        .bind(id_sha256)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| -> Result<SessionRow, StoreError> {
            Ok(SessionRow {
                user_id: r.try_get(0)?,
                csrf: r.try_get(1)?,
                created_ms: r.try_get(2)?,
                last_seen_ms: r.try_get(3)?,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, id_sha256: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE app_session SET last_seen_ms = $2 WHERE id_sha256 = $1")
            .bind(id_sha256)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM app_session WHERE id_sha256 = $1")
            .bind(id_sha256)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    // ----------------------------------------------------------------- tokens

    pub async fn insert_api_token(
        &self,
        token_sha256: &str,
        user_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_token (token_sha256, user_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_sha256)
        .bind(user_id)
        .bind(name)
        .bind(rfc3339(&self.now()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn api_token_user(&self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM api_token WHERE token_sha256 = $1")
                .bind(token_sha256)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    // ------------------------------------------------------------ case scopes

    /// Stores a case's scope (durable on return; concurrent calls share a commit).
    pub async fn insert_case_scope(&self, s: &CaseScope) -> Result<(), StoreError> {
        self.side
            .submit(self, crate::side::Write::Scope(s.clone()))
            .await?;
        Ok(())
    }

    pub async fn case_scope(&self, case_id: &str) -> Result<Option<CaseScope>, StoreError> {
        let row = sqlx::query(
            "SELECT case_id, enterprise, region, title FROM case_scope WHERE case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(scope_of).transpose()
    }

    /// A case's projection with its scope, in one query; `None` when either is
    /// missing.
    pub async fn case_with_scope(
        &self,
        case_id: &str,
    ) -> Result<Option<(zhishen_workflow::Case, CaseScope)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.case_id, s.enterprise, s.region, s.title, c.state FROM case_scope s JOIN \"case\" c ON c.id = s.case_id WHERE s.case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| -> Result<_, StoreError> {
            let state: String = r.try_get(4)?;
            let case = serde_json::from_str(&state).map_err(|e| {
                StoreError::Corrupt(format!("case {case_id}: projection JSON: {e}"))
            })?;
            Ok((case, scope_of(&r)?))
        })
        .transpose()
    }

    /// The cases with their scopes, filtered in the database by enterprise
    /// and/or region when given (a pre-filter: the caller still applies its
    /// visibility rule to each).
    pub async fn scoped_cases(
        &self,
        enterprise: Option<&str>,
        region: Option<&str>,
    ) -> Result<Vec<(zhishen_workflow::Case, CaseScope)>, StoreError> {
        let filter = match (enterprise, region) {
            (Some(_), Some(_)) => "WHERE s.enterprise = $1 AND s.region = $2",
            (Some(_), None) => "WHERE s.enterprise = $1",
            (None, Some(_)) => "WHERE s.region = $1",
            (None, None) => "",
        };
        let sql = format!(
            "SELECT s.case_id, s.enterprise, s.region, s.title, c.state FROM case_scope s JOIN \"case\" c ON c.id = s.case_id {filter} ORDER BY s.case_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in [enterprise, region].into_iter().flatten() {
            q = q.bind(v.to_string());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(4)?;
                let scope = scope_of(r)?;
                let case = serde_json::from_str(&state).map_err(|e| {
                    StoreError::Corrupt(format!("case {}: projection JSON: {e}", scope.case_id))
                })?;
                Ok((case, scope))
            })
            .collect()
    }

    pub async fn case_scopes(&self) -> Result<Vec<CaseScope>, StoreError> {
        let rows = sqlx::query(
            "SELECT case_id, enterprise, region, title FROM case_scope ORDER BY case_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(scope_of).collect()
    }

    // ------------------------------------------------------------ access audit

    /// Appends one entry to the access audit chain and returns its sequence number
    /// (durable on return; concurrent appends share a commit, in order).
    pub async fn append_access(&self, e: &AccessEntry) -> Result<i64, StoreError> {
        self.side
            .submit(self, crate::side::Write::Access(e.clone()))
            .await
    }

    /// Writes a group of side writes in one transaction: the access entries are
    /// chained in order after the head (whose row lock orders concurrent
    /// appenders, other processes included), then the scopes. Returns each
    /// entry's sequence number (0 for a scope).
    pub(crate) async fn side_writes(
        &self,
        writes: &[crate::side::Write],
    ) -> Result<Vec<i64>, StoreError> {
        use crate::side::Write;
        let _turn = self.local_writer().await;
        let mut tx = crate::db::begin_write(self.pool(), self.backend()).await?;
        let mut seqs = vec![0; writes.len()];
        let entries: Vec<(usize, &AccessEntry)> = writes
            .iter()
            .enumerate()
            .filter_map(|(i, w)| match w {
                Write::Access(e) => Some((i, e)),
                Write::Scope(_) => None,
            })
            .collect();
        let scopes: Vec<&CaseScope> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Scope(s) => Some(s),
                Write::Access(_) => None,
            })
            .collect();
        // The rows go as one script (one round trip on SQLite, see script.rs).
        let mut script = crate::script::Script::new(self.backend());
        if !entries.is_empty() {
            let n = entries.len() as i64;
            let (size, first_prev): (i64, String) = sqlx::query_as(
                "UPDATE access_head SET size = size + $1 WHERE id = 1 RETURNING size, hash",
            )
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
            let at = rfc3339(&self.now());
            let mut prev = first_prev;
            let mut rows = Vec::with_capacity(entries.len());
            for (k, (i, e)) in entries.iter().enumerate() {
                let seq = size - n + 1 + k as i64;
                let hash = link(&prev, seq, &at, e);
                seqs[*i] = seq;
                rows.push((seq, *e, std::mem::replace(&mut prev, hash.clone()), hash));
            }
            script
                .sql("INSERT INTO access_audit (seq, at, user_id, role, action, target, result, detail, prev_hash, hash)")
                .values(rows, |t, (seq, e, prev, hash)| {
                    t.bind(seq)
                        .bind(at.clone())
                        .bind(e.user_id.clone())
                        .bind(e.role.clone())
                        .bind(e.action.clone())
                        .bind(e.target.clone())
                        .bind(e.result.clone())
                        .bind(e.detail.clone())
                        .bind(prev)
                        .bind(hash);
                })
                .end();
            script
                .sql("UPDATE access_head SET hash = ")
                .bind(prev)
                .sql(" WHERE id = 1")
                .end();
        }
        if !scopes.is_empty() {
            script
                .sql("INSERT INTO case_scope (case_id, enterprise, region, title)")
                .values(scopes, |t, s| {
                    t.bind(s.case_id.clone())
                        .bind(s.enterprise.clone())
                        .bind(s.region.clone())
                        .bind(s.title.clone());
                })
                .end();
        }
        script.run(&mut tx).await?;
        tx.commit().await?;
        Ok(seqs)
    }

    /// The newest `limit` entries whose user, action or target contains `needle`
    /// (bound as a parameter: search text is data, never SQL).
    pub async fn search_access(
        &self,
        needle: &str,
        limit: i64,
    ) -> Result<Vec<AccessRecord>, StoreError> {
        let pattern = format!("%{}%", escape_like(needle));
        let rows = sqlx::query(
            "SELECT seq, at, user_id, role, action, target, result, detail, hash FROM access_audit WHERE user_id LIKE $1 ESCAPE '\\' OR action LIKE $1 ESCAPE '\\' OR target LIKE $1 ESCAPE '\\' ORDER BY seq DESC LIMIT $2",
        )
        .bind(pattern)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(access_of).collect()
    }

    /// Re-hashes the whole access audit against its head.
    pub async fn verify_access_audit(&self) -> Result<AccessVerdict, StoreError> {
        let (size, head): (i64, String) =
            sqlx::query_as("SELECT size, hash FROM access_head WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        let rows = sqlx::query(
            "SELECT seq, at, user_id, role, action, target, result, detail, hash, prev_hash FROM access_audit ORDER BY seq",
        )
        .fetch_all(self.pool())
        .await?;
        let mut prev = "0".repeat(64);
        let mut expect = 1;
        for r in &rows {
            let rec = access_of(r)?;
            let stored_prev: String = r.try_get(9)?;
            let why = if rec.seq != expect {
                Some(format!("expected entry {expect}, found {}", rec.seq))
            } else if stored_prev != prev {
                Some("link to the previous entry broken".to_string())
            } else if link(&prev, rec.seq, &rec.at, &rec.entry) != rec.hash {
                Some("entry altered (hash differs)".to_string())
            } else {
                None
            };
            if let Some(why) = why {
                return Ok(AccessVerdict {
                    size,
                    intact: false,
                    broken_at: Some((rec.seq, why)),
                });
            }
            prev = rec.hash;
            expect += 1;
        }
        let tail_ok = expect - 1 == size && prev == head;
        Ok(AccessVerdict {
            size,
            intact: tail_ok,
            broken_at: (!tail_ok).then(|| (expect, "entries missing at the end".to_string())),
        })
    }
}

fn scope_of(r: &AnyRow) -> Result<CaseScope, StoreError> {
    Ok(CaseScope {
        case_id: r.try_get(0)?,
        enterprise: r.try_get(1)?,
        region: r.try_get(2)?,
        title: r.try_get(3)?,
    })
}

fn access_of(r: &AnyRow) -> Result<AccessRecord, StoreError> {
    Ok(AccessRecord {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        entry: AccessEntry {
            user_id: r.try_get(2)?,
            role: r.try_get(3)?,
            action: r.try_get(4)?,
            target: r.try_get(5)?,
            result: r.try_get(6)?,
            detail: r.try_get(7)?,
        },
        hash: r.try_get(8)?,
    })
}

/// `%`, `_` and `\` in search text match themselves.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A signed e-licence on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedLicence {
    pub number: String,
    pub case_id: String,
    pub item: String,
    pub blob_sha256: String,
}

impl Store {
    /// Records an issued licence; false when the number or the (case, item) is taken.
    pub async fn insert_licence(&self, l: &IssuedLicence) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO issued_licence (number, case_id, item, blob_sha256, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&l.number)
        .bind(&l.case_id)
        .bind(&l.item)
        .bind(&l.blob_sha256)
        .bind(rfc3339(&self.now()))
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn licence_by_number(
        &self,
        number: &str,
    ) -> Result<Option<IssuedLicence>, StoreError> {
        let row = sqlx::query(
            "SELECT number, case_id, item, blob_sha256 FROM issued_licence WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(licence_of).transpose()
    }

    pub async fn licences_of_case(&self, case_id: &str) -> Result<Vec<IssuedLicence>, StoreError> {
        let rows = sqlx::query(
            "SELECT number, case_id, item, blob_sha256 FROM issued_licence WHERE case_id = $1 ORDER BY number",
        )
        .bind(case_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(licence_of).collect()
    }

    /// How many licences exist (the next serial is one more).
    pub async fn licence_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM issued_licence")
            .fetch_one(self.pool())
            .await?)
    }
}

fn licence_of(r: &AnyRow) -> Result<IssuedLicence, StoreError> {
    Ok(IssuedLicence {
        number: r.try_get(0)?,
        case_id: r.try_get(1)?,
        item: r.try_get(2)?,
        blob_sha256: r.try_get(3)?,
    })
}

/// A designer's pre-check on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrecheckRow {
    pub id: String,
    pub user_id: String,
    pub enterprise: String,
    pub model_sha256: String,
    pub report_sha256: String,
    pub parcel: String,
    pub verdict: String,
    pub created_at: String,
}

const PRECHECK_COLS: &str =
    "id, user_id, enterprise, model_sha256, report_sha256, parcel, verdict, created_at";

fn precheck_of(r: &AnyRow) -> Result<PrecheckRow, StoreError> {
    Ok(PrecheckRow {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        enterprise: r.try_get(2)?,
        model_sha256: r.try_get(3)?,
        report_sha256: r.try_get(4)?,
        parcel: r.try_get(5)?,
        verdict: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

impl Store {
    pub async fn insert_precheck(&self, p: &PrecheckRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO precheck (id, user_id, enterprise, model_sha256, report_sha256, parcel, verdict, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.id)
        .bind(&p.user_id)
        .bind(&p.enterprise)
        .bind(&p.model_sha256)
        .bind(&p.report_sha256)
        .bind(&p.parcel)
        .bind(&p.verdict)
        .bind(rfc3339(&self.now()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn precheck(&self, id: &str) -> Result<Option<PrecheckRow>, StoreError> {
        // SAFETY (SQL): only the constant column list is formatted in.
        let sql = format!("SELECT {PRECHECK_COLS} FROM precheck WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(precheck_of).transpose()
    }

    /// An enterprise's pre-checks, newest first.
    pub async fn prechecks_of(&self, enterprise: &str) -> Result<Vec<PrecheckRow>, StoreError> {
        let sql = format!(
            "SELECT {PRECHECK_COLS} FROM precheck WHERE enterprise = $1 ORDER BY created_at DESC LIMIT 50"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(enterprise)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(precheck_of).collect()
    }
}
