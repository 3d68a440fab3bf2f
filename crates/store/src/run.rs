//! The body of every command transaction: one command (`execute`) or a
//! group (group commit, `execute_batch`) in three round trips however many
//! commands there are.
//!
//! 1. **Read** (one query): the cases the commands address, the chain head
//!    of each, which request ids are already known, the log size and the
//!    newest published definition versions (PostgreSQL first locks the case
//!    rows, in id order).
//! 2. **Decide** in memory, in order: each command sees the cases as the
//!    commands before it left them; events are applied and hash-chained.
//!    Every refusal and bad input happens here, before anything is written,
//!    so it answers only its own command.
//! 3. **Write** (one script): each touched case once with its final
//!    projection and timers, the request rows, then the global log append
//!    (outbox, `log_head`, events, leaves). PostgreSQL runs the case writes
//!    first and then takes the global log lock with `UPDATE log_head …
//!    RETURNING`, so it holds it only for the append and the commit.

use crate::chain::{self, EventRecord, NewRow};
use crate::script::Script;
use crate::{check_command, reused, Backend};
use crate::{micros, ms, no_calendar, no_process, rfc3339, u64_of, Executed, Store, StoreError};
use chrono::{DateTime, FixedOffset};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use zhishen_workflow::{Actor, Case, CaseId, Command, RequestId, Timer};

/// One command of a transaction.
#[derive(Clone, Copy)]
pub(crate) struct Cmd<'a> {
    pub case_id: &'a CaseId,
    pub cmd: &'a Command,
    pub actor: &'a Actor,
    pub request_id: &'a RequestId,
}

/// A case as the commands of this transaction see it.
struct Staged {
    case: Option<Case>,
    /// The row existed before this transaction (UPDATE, not INSERT).
    existed: bool,
    /// Row version when read; bumped once per command applied.
    version: i64,
    commands: i64,
    /// Hash of the case's last event (the next event's `prev_hash`).
    head: [u8; 32],
    /// Timers the stored row arms.
    armed_before: Vec<Timer>,
}

enum Slot {
    Failed(StoreError),
    /// Replay of a request stored before this transaction.
    Replayed(Box<Executed>),
    /// Replay of a request executed earlier in this transaction.
    SameAs(usize),
    /// Executed here: its rows in `rows[from..to]`, the case after it.
    Planned {
        from: usize,
        to: usize,
        case: Box<Case>,
    },
}

/// What step 1 read.
struct Read {
    cases: HashMap<String, Staged>,
    known: HashMap<String, String>,
    log_size: i64,
    newest: (Option<String>, Option<String>, Option<String>),
}

impl Store {
    /// Runs `cmds` in order inside `tx` (the caller commits). Each slot of
    /// the result answers one command; `Err` is an infrastructure failure
    /// after which the transaction must be rolled back. With `at`, every
    /// command runs at that time (timer firing); otherwise at the clock's.
    pub(crate) async fn run_commands(
        &self,
        tx: &mut Transaction<'static, Any>,
        cmds: &[Cmd<'_>],
        at: Option<DateTime<FixedOffset>>,
    ) -> Result<Vec<Result<Executed, StoreError>>, StoreError> {
        let mut slots: Vec<Option<Slot>> = cmds
            .iter()
            .map(|c| {
                check_command(c.case_id, c.cmd, c.request_id)
                    .err()
                    .map(Slot::Failed)
            })
            .collect();
        let mut ids: Vec<&str> = cmds
            .iter()
            .zip(&slots)
            .filter(|(_, s)| s.is_none())
            .map(|(c, _)| c.case_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let requests: Vec<&str> = cmds
            .iter()
            .zip(&slots)
            .filter(|(_, s)| s.is_none())
            .map(|(c, _)| c.request_id.as_str())
            .collect();
        let mut read = self.read_for(tx, &ids, &requests).await?;

        // 2. Decide and apply in memory, in order.
        let mut rows: Vec<NewRow> = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        let mut done: HashMap<&str, usize> = HashMap::new();
        let mut request_rows: Vec<(String, String, u64, u64, String)> = Vec::new();
        for (i, c) in cmds.iter().enumerate() {
            if slots[i].is_some() {
                continue;
            }
            if let Some(&j) = done.get(c.request_id.as_str()) {
                slots[i] = Some(if cmds[j].case_id == c.case_id {
                    Slot::SameAs(j)
                } else {
                    Slot::Failed(reused(c.request_id, cmds[j].case_id.as_str(), c.case_id))
                });
                continue;
            }
            if let Some(orig) = read.known.get(c.request_id.as_str()).cloned() {
                slots[i] = Some(
                    match self.replay(tx, &orig, c.case_id, c.request_id).await {
                        Ok(ex) => Slot::Replayed(Box::new(ex)),
                        Err(e @ StoreError::BadInput(_)) => Slot::Failed(e),
                        Err(e) => return Err(e),
                    },
                );
                continue;
            }
            let now = micros(at.unwrap_or_else(|| self.clock.now()));
            let staged = read
                .cases
                .entry(c.case_id.as_str().to_string())
                .or_insert_with(|| Staged {
                    case: None,
                    existed: false,
                    version: 0,
                    commands: 0,
                    head: zhishen_audit::GENESIS,
                    armed_before: Vec::new(),
                });
            let defs = match &staged.case {
                Some(k) => {
                    self.definitions(tx, &k.process_id, &k.process_version, &k.calendar_version)
                        .await?
                }
                // A new case (立案) is pinned to the newest published set.
                None => {
                    let (Some(pid), Some(pv)) = (&read.newest.0, &read.newest.1) else {
                        return Err(no_process());
                    };
                    let cv = read.newest.2.as_ref().ok_or_else(no_calendar)?;
                    self.definitions(tx, pid, pv, cv).await?
                }
            };
            let events =
                match zhishen_workflow::decide(staged.case.as_ref(), c.cmd, c.actor, now, &defs) {
                    Ok(evs) => evs,
                    Err(r) => {
                        slots[i] = Some(Slot::Failed(StoreError::Refused(r)));
                        continue;
                    }
                };
            let prev_seq = staged.case.as_ref().map_or(0, |k| k.seq);
            let mut cur = staged.case.clone();
            let mut prev = staged.head;
            let from = rows.len();
            for (part, ev) in events.iter().enumerate() {
                let next = zhishen_workflow::apply(cur, ev, &defs);
                let expect = prev_seq + part as u64 + 1;
                if next.seq != expect || next.id != c.case_id.as_str() {
                    return Err(StoreError::Corrupt(format!(
                        "case {}: applying {} gave case {} seq {} (expected seq {expect})",
                        c.case_id,
                        ev.kind(),
                        next.id,
                        next.seq
                    )));
                }
                let row = chain::build(
                    self.alg,
                    &prev,
                    c.case_id,
                    &next,
                    ev,
                    c.actor,
                    now,
                    c.request_id,
                    part,
                )?;
                prev = row.hash;
                rows.push(row);
                cur = Some(next);
            }
            let Some(case) = cur else {
                slots[i] = Some(Slot::Failed(StoreError::BadInput(format!(
                    "case {} does not exist (create it first)",
                    c.case_id
                ))));
                continue;
            };
            staged.head = prev;
            staged.commands += 1;
            staged.case = Some(case.clone());
            if !touched.iter().any(|t| t == c.case_id.as_str()) {
                touched.push(c.case_id.as_str().to_string());
            }
            request_rows.push((
                c.request_id.as_str().to_string(),
                c.case_id.as_str().to_string(),
                prev_seq + 1,
                case.seq,
                rfc3339(&now),
            ));
            done.insert(c.request_id.as_str(), i);
            slots[i] = Some(Slot::Planned {
                from,
                to: rows.len(),
                case: Box::new(case),
            });
        }

        // 3. Write.
        if !request_rows.is_empty() {
            self.write(tx, &read, &touched, &request_rows, &mut rows)
                .await?;
        }

        let finals: HashMap<&str, &Case> = touched
            .iter()
            .filter_map(|id| {
                let c = read.cases.get(id)?.case.as_ref()?;
                Some((id.as_str(), c))
            })
            .collect();
        let records: Vec<EventRecord> = rows.into_iter().map(EventRecord::from).collect();
        let mut out: Vec<Result<Executed, StoreError>> = Vec::with_capacity(cmds.len());
        for (i, c) in cmds.iter().enumerate() {
            let r = match slots[i].take() {
                Some(Slot::Failed(e)) => Err(e),
                Some(Slot::Replayed(ex)) => Ok(*ex),
                Some(Slot::Planned { from, to, case }) => Ok(Executed {
                    case_id: c.case_id.clone(),
                    request_id: c.request_id.clone(),
                    replayed: false,
                    events: records[from..to].to_vec(),
                    case: *case,
                }),
                Some(Slot::SameAs(j)) => match &out[j] {
                    Ok(first) => Ok(Executed {
                        replayed: true,
                        case: finals
                            .get(c.case_id.as_str())
                            .map(|k| (*k).clone())
                            .unwrap_or_else(|| first.case.clone()),
                        ..first.clone()
                    }),
                    Err(_) => Err(StoreError::Corrupt(format!(
                        "request {} repeats a command that failed",
                        c.request_id
                    ))),
                },
                None => Err(StoreError::Corrupt(format!(
                    "request {} was not planned",
                    c.request_id
                ))),
            };
            out.push(r);
        }
        Ok(out)
    }

    /// Step 1: one query (PostgreSQL: a lock, then the reads).
    async fn read_for(
        &self,
        tx: &mut Transaction<'static, Any>,
        ids: &[&str],
        requests: &[&str],
    ) -> Result<Read, StoreError> {
        if self.backend == Backend::Postgres && !ids.is_empty() {
            // The aggregate locks, in id order so two groups cannot deadlock.
            let mut lock = Script::new(self.backend);
            lock.sql("SELECT 1 FROM \"case\" WHERE id IN (");
            in_list(&mut lock, ids);
            lock.sql(") ORDER BY id FOR UPDATE").returning().end();
            lock.run(tx).await?;
        }
        let mut q = Script::new(self.backend);
        q.sql("SELECT CAST('h' AS TEXT), (SELECT h.size FROM log_head h WHERE h.id = 1), \
               (SELECT d.def_id FROM definition d WHERE d.kind = 'process' ORDER BY d.id DESC LIMIT 1), \
               (SELECT d.version FROM definition d WHERE d.kind = 'process' ORDER BY d.id DESC LIMIT 1), \
               (SELECT d.version FROM definition d WHERE d.kind = 'calendar' ORDER BY d.id DESC LIMIT 1)")
            .returning()
            .end();
        if !ids.is_empty() {
            q.sql("SELECT CAST('c' AS TEXT), c.id, c.seq, c.state, c.version, e.hash FROM \"case\" c \
                   LEFT JOIN case_event e ON e.case_id = c.id AND e.seq = c.seq WHERE c.id IN (");
            in_list(&mut q, ids);
            q.sql(")").returning().end();
        }
        if !requests.is_empty() {
            q.sql("SELECT CAST('r' AS TEXT), r.request_id, r.case_id FROM command_request r WHERE r.request_id IN (");
            in_list(&mut q, requests);
            q.sql(")").returning().end();
        }
        let mut read = Read {
            cases: HashMap::new(),
            known: HashMap::new(),
            log_size: 0,
            newest: (None, None, None),
        };
        for r in q.run(tx).await? {
            let tag: String = r.try_get(0)?;
            match tag.as_str() {
                "h" => {
                    read.log_size = r.try_get(1)?;
                    read.newest = (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                }
                "c" => {
                    let (id, staged) = staged_of(&r)?;
                    read.cases.insert(id, staged);
                }
                "r" => {
                    read.known.insert(r.try_get(1)?, r.try_get(2)?);
                }
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "unexpected row tag {other:?} in the command read"
                    )))
                }
            }
        }
        Ok(read)
    }

    /// Step 3: the write script.
    async fn write(
        &self,
        tx: &mut Transaction<'static, Any>,
        read: &Read,
        touched: &[String],
        request_rows: &[(String, String, u64, u64, String)],
        rows: &mut [NewRow],
    ) -> Result<(), StoreError> {
        let mut script = Script::new(self.backend);
        for id in touched {
            let Some(staged) = read.cases.get(id) else {
                continue;
            };
            let Some(case) = &staged.case else { continue };
            let state = serde_json::to_string(case)?;
            let now_s = rfc3339(&case.updated_at);
            if staged.existed {
                script
                    .sql("UPDATE \"case\" SET seq = ")
                    .bind(case.seq as i64)
                    .sql(", version = ")
                    .bind(staged.version + staged.commands)
                    .sql(", process_version = ")
                    .bind(case.process_version.clone())
                    .sql(", catalogue_version = ")
                    .bind(case.catalogue_version.clone())
                    .sql(", calendar_version = ")
                    .bind(case.calendar_version.clone())
                    .sql(", state = ")
                    .bind(state)
                    .sql(", updated_at = ")
                    .bind(now_s)
                    .sql(" WHERE id = ")
                    .bind(id.clone())
                    .end();
            } else {
                script
                    .sql("INSERT INTO \"case\" (id, seq, version, process_id, process_version, catalogue_version, calendar_version, state, created_at, updated_at)")
                    .values([()], |t, ()| {
                        t.bind(id.clone())
                            .bind(case.seq as i64)
                            .bind(staged.commands)
                            .bind(case.process_id.clone())
                            .bind(case.process_version.clone())
                            .bind(case.catalogue_version.clone())
                            .bind(case.calendar_version.clone())
                            .bind(state.clone())
                            .bind(rfc3339(&case.created_at))
                            .bind(now_s.clone());
                    })
                    .end();
            }
            // Timers are derived state: when what the case arms changed,
            // replace its rows. (Unchanged: leave them, including a stale
            // timer the timer loop dropped.)
            let armed = zhishen_workflow::timers(case);
            if armed != staged.armed_before {
                script
                    .sql("DELETE FROM timer WHERE case_id = ")
                    .bind(id.clone())
                    .end();
                if !armed.is_empty() {
                    let mut bodies = Vec::with_capacity(armed.len());
                    for t in &armed {
                        bodies.push(serde_json::to_string(t)?);
                    }
                    script
                        .sql("INSERT INTO timer (case_id, timer_id, item, kind, due, due_ms, body)")
                        .values(armed.iter().zip(bodies), |b, (t, body)| {
                            b.bind(id.clone())
                                .bind(t.id.clone())
                                .bind(t.item.clone())
                                .bind(t.kind.as_str())
                                .bind(rfc3339(&t.due))
                                .bind(ms(&t.due))
                                .bind(body);
                        })
                        .end();
                }
            }
        }
        script
            .sql("INSERT INTO command_request (request_id, case_id, first_seq, last_seq, created_at)")
            .values(request_rows, |t, r| {
                t.bind(r.0.clone())
                    .bind(r.1.clone())
                    .bind(r.2 as i64)
                    .bind(r.3 as i64)
                    .bind(r.4.clone());
            })
            .end();
        // The global log append goes last.
        if !rows.is_empty() {
            let n = rows.len() as i64;
            let base = match self.backend {
                // BEGIN IMMEDIATE holds SQLite's one write lock: the size read
                // in step 1 cannot move, and the bump joins the one round trip.
                Backend::Sqlite => {
                    script
                        .sql("UPDATE log_head SET size = ")
                        .bind(read.log_size + n)
                        .sql(" WHERE id = 1")
                        .end();
                    read.log_size
                }
                // The case writes first, then the bump, which takes the row
                // lock and returns the new size.
                Backend::Postgres => {
                    std::mem::replace(&mut script, Script::new(self.backend))
                        .run(tx)
                        .await?;
                    let size: i64 = sqlx::query_scalar(
                        "UPDATE log_head SET size = size + $1 WHERE id = 1 RETURNING size",
                    )
                    .bind(n)
                    .fetch_one(&mut **tx)
                    .await?;
                    size - n
                }
            };
            let base = u64_of(base, "log_head.size")?;
            for (i, r) in rows.iter_mut().enumerate() {
                r.log_index = base + i as u64;
            }
            chain::append(&mut script, rows);
        }
        let returned = script.run(tx).await?;
        chain::set_returned(rows, &returned)
    }
}

fn in_list(s: &mut Script, items: &[&str]) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            s.sql(", ");
        }
        s.bind(v.to_string());
    }
}

fn staged_of(r: &AnyRow) -> Result<(String, Staged), StoreError> {
    let id: String = r.try_get(1)?;
    let seq: i64 = r.try_get(2)?;
    let state: String = r.try_get(3)?;
    let version: i64 = r.try_get(4)?;
    let case: Case = serde_json::from_str(&state)
        .map_err(|e| StoreError::Corrupt(format!("case {id}: projection JSON: {e}")))?;
    if case.seq != u64_of(seq, "case.seq")? {
        return Err(StoreError::Corrupt(format!(
            "case {id}: row seq {seq} but projection seq {}",
            case.seq
        )));
    }
    let head = if seq == 0 {
        zhishen_audit::GENESIS
    } else {
        let h: Option<Vec<u8>> = r.try_get(5)?;
        let h =
            h.ok_or_else(|| StoreError::Corrupt(format!("case {id}: event seq {seq} is missing")))?;
        h.try_into().map_err(|_| {
            StoreError::Corrupt(format!("case {id}: hash of seq {seq} is not 32 bytes"))
        })?
    };
    let armed_before = zhishen_workflow::timers(&case);
    Ok((
        id,
        Staged {
            case: Some(case),
            existed: true,
            version,
            commands: 0,
            head,
            armed_before,
        },
    ))
}
