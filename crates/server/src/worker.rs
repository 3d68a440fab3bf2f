//! Background workers of a server process: review jobs (claimed with leases, so any
//! number of processes share the queue and a job of a killed process is taken over
//! when its lease ends), due timers, the risk sweep 风险预警 and the outbox relay to the
//! exchange.

use std::sync::Arc;
use std::time::Duration;
use zhishen_store::Store;
use zhishen_workflow::Actor;

pub fn spawn(store: Arc<Store>, exchange: Option<zhishen_app::exchange::ExchangeConfig>) {
    // A finished review can change a case's risk at once: it wakes the risk sweep.
    let reviewed = Arc::new(tokio::sync::Notify::new());
    let s = store.clone();
    let wake = reviewed.clone();
    tokio::spawn(async move {
        loop {
            match zhishen_app::review::run_jobs(&s, &Actor::system()).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(jobs = done.len(), "review jobs done");
                    wake.notify_one();
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "review worker"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let s = store.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = s.fire_due_timers(s.now()).await {
                tracing::error!(error = %e, "timer worker");
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
    let s = store.clone();
    tokio::spawn(async move {
        let rules = match zhishen_app::risk::rules() {
            Ok(r) => r,
            Err(e) => return tracing::error!(error = %e, "risk worker not started"),
        };
        loop {
            if let Err(e) = zhishen_app::risk::sweep_graded(&s, &rules).await {
                tracing::error!(error = %e, "risk worker");
            }
            let _ = tokio::time::timeout(Duration::from_secs(30), reviewed.notified()).await;
        }
    });
    if let Some(cfg) = exchange {
        let s = (*store).clone();
        tokio::spawn(async move {
            let owner = zhishen_app::exchange::relay_owner();
            if let Err(e) =
                zhishen_app::exchange::run_relay(s, cfg, owner, std::future::pending()).await
            {
                tracing::error!(error = %e, "exchange relay stopped");
            }
        });
    }
}
