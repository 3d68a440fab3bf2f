//! Group commit 组提交: concurrent `execute` calls share one write
//! transaction, so one fsync acknowledges many commands.
//!
//! SQLite has one writer, and PostgreSQL serializes commands on the global
//! log lock. Without grouping, concurrent writers take turns (on SQLite
//! through `busy_timeout` sleeps) and each pays its own fsync and round
//! trips; a group pays three round trips and one fsync. Here a caller
//! queues its command; if no drain task is running it spawns one. The drain
//! task takes up to [`MAX_GROUP`] queued commands, runs them in order in one
//! transaction (each sees the ones before it), commits, and only then answers
//! every caller. A refusal answers only its caller (the store refuses before
//! writing anything). An infrastructure error rolls the group back and its
//! commands are re-run one transaction each, so one bad command cannot fail
//! the others. The task is spawned, so a caller that stops waiting does not
//! cancel a group half-way.

use crate::{Executed, Store, StoreError};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;
use zhishen_workflow::{Actor, CaseId, Command, RequestId};

/// Most commands per transaction: bounds the latency of the first one.
pub(crate) const MAX_GROUP: usize = 64;

type Reply = oneshot::Sender<Result<Executed, StoreError>>;

struct Job {
    cmd: (CaseId, Command, Actor, RequestId),
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    draining: bool,
}

/// The queue shared by every clone of a [`Store`].
#[derive(Default)]
pub(crate) struct Group {
    q: Mutex<Queue>,
    /// Committed groups and the commands they carried (for `stats`).
    groups: AtomicU64,
    commands: AtomicU64,
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (transactions, commands) run through the queue so far.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (
            self.groups.load(Ordering::Relaxed),
            self.commands.load(Ordering::Relaxed),
        )
    }

    pub(crate) async fn submit(
        self: &Arc<Self>,
        store: &Store,
        case_id: &CaseId,
        cmd: &Command,
        actor: &Actor,
        request_id: &RequestId,
    ) -> Result<Executed, StoreError> {
        let (tx, rx) = oneshot::channel();
        let spawn = {
            let mut q = self.lock();
            q.jobs.push_back(Job {
                cmd: (
                    case_id.clone(),
                    cmd.clone(),
                    actor.clone(),
                    request_id.clone(),
                ),
                reply: tx,
            });
            !std::mem::replace(&mut q.draining, true)
        };
        if spawn {
            let group = self.clone();
            let store = store.clone();
            tokio::spawn(async move { group.drain(store).await });
        }
        rx.await.map_err(|_| {
            StoreError::Unacknowledged(format!(
                "request {request_id}: the group-commit writer stopped before answering; \
                 re-send it with the same request id (a committed command is replayed, not repeated)"
            ))
        })?
    }

    async fn drain(self: Arc<Self>, store: Store) {
        // A panic below must not leave `draining` set with nobody draining:
        // the guard clears it and drops the queued replies (their callers get
        // `Unacknowledged`).
        let mut guard = Abandon {
            group: &self,
            armed: true,
        };
        loop {
            let jobs: Vec<Job> = {
                let mut q = self.lock();
                if q.jobs.is_empty() {
                    q.draining = false;
                    guard.armed = false;
                    return;
                }
                let n = q.jobs.len().min(MAX_GROUP);
                q.jobs.drain(..n).collect()
            };
            self.groups.fetch_add(1, Ordering::Relaxed);
            self.commands
                .fetch_add(jobs.len() as u64, Ordering::Relaxed);
            run(&store, jobs).await;
        }
    }
}

struct Abandon<'a> {
    group: &'a Group,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut q = self.group.lock();
            q.draining = false;
            q.jobs.clear();
        }
    }
}

async fn run(store: &Store, jobs: Vec<Job>) {
    let (cmds, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.cmd, j.reply)).unzip();
    match store.execute_batch(&cmds).await {
        Ok(results) => {
            for (reply, r) in replies.into_iter().zip(results) {
                let _ = reply.send(r);
            }
        }
        Err(e) if cmds.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(
                commands = cmds.len(),
                "group commit failed ({e}); re-running its commands one by one"
            );
            for ((case_id, cmd, actor, request_id), reply) in cmds.iter().zip(replies) {
                let r = store.execute_alone(case_id, cmd, actor, request_id).await;
                let _ = reply.send(r);
            }
        }
    }
}
