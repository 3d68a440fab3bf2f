//! Side writes 旁路写入: the access-audit entries and case scopes written beside
//! the commands, one or two per HTTP request. Like group commit (`group.rs`),
//! concurrent calls share one write transaction and one fsync, and each caller is
//! answered only after that commit, so an append is as durable as before. On
//! SQLite, one transaction per entry made every write request pay an extra fsync
//! and queue for the one write lock.
//!
//! The access chain is extended in queue order under the `access_head` row lock,
//! so the chain is the same one that one append per transaction would build. An
//! error rolls the group back and its writes are retried one transaction each, so
//! one bad write (a duplicate scope) fails only its own caller.

use crate::access::{AccessEntry, CaseScope};
use crate::{Store, StoreError};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Most writes per transaction.
const MAX_SIDE: usize = 256;

/// One side write.
pub(crate) enum Write {
    Access(AccessEntry),
    Scope(CaseScope),
}

/// The access entry's sequence number; 0 for a scope.
type Reply = oneshot::Sender<Result<i64, StoreError>>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<(Write, Reply)>,
    draining: bool,
}

/// The queue shared by every clone of a [`Store`].
#[derive(Default)]
pub(crate) struct Side {
    q: Mutex<Queue>,
}

impl Side {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) async fn submit(
        self: &Arc<Self>,
        store: &Store,
        w: Write,
    ) -> Result<i64, StoreError> {
        let (tx, rx) = oneshot::channel();
        let spawn = {
            let mut q = self.lock();
            q.jobs.push_back((w, tx));
            !std::mem::replace(&mut q.draining, true)
        };
        if spawn {
            let side = self.clone();
            let store = store.clone();
            tokio::spawn(async move { side.drain(store).await });
        }
        rx.await.map_err(|_| {
            StoreError::Unacknowledged(
                "the side-write task stopped before answering; nothing is known to be written"
                    .into(),
            )
        })?
    }

    async fn drain(self: Arc<Self>, store: Store) {
        let mut guard = Abandon {
            side: &self,
            armed: true,
        };
        loop {
            let jobs: Vec<(Write, Reply)> = {
                let mut q = self.lock();
                if q.jobs.is_empty() {
                    q.draining = false;
                    guard.armed = false;
                    return;
                }
                let n = q.jobs.len().min(MAX_SIDE);
                q.jobs.drain(..n).collect()
            };
            let (writes, replies): (Vec<Write>, Vec<Reply>) = jobs.into_iter().unzip();
            match store.side_writes(&writes).await {
                Ok(seqs) => {
                    for (reply, seq) in replies.into_iter().zip(seqs) {
                        let _ = reply.send(Ok(seq));
                    }
                }
                Err(e) if writes.len() == 1 => {
                    if let Some(reply) = replies.into_iter().next() {
                        let _ = reply.send(Err(e));
                    }
                }
                Err(e) => {
                    tracing::warn!(
                        writes = writes.len(),
                        "side writes failed together ({e}); writing them one by one"
                    );
                    for (w, reply) in writes.iter().zip(replies) {
                        let r = store
                            .side_writes(std::slice::from_ref(w))
                            .await
                            .map(|s| s.first().copied().unwrap_or_default());
                        let _ = reply.send(r);
                    }
                }
            }
        }
    }
}

/// Clears `draining` if the drain task panics, so the next caller starts a new
/// one (the queued callers get `Unacknowledged`).
struct Abandon<'a> {
    side: &'a Side,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut q = self.side.lock();
            q.draining = false;
            q.jobs.clear();
        }
    }
}
