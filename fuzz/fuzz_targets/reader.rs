#![no_main]
//! `load_bytes` on raw bytes: no panic may escape it.
//!
//! `load_bytes` deliberately catches panics of the geometry kernel (ifc-lite) per
//! product and turns them into diagnostics. libfuzzer-sys' default panic hook
//! aborts on *every* panic, caught or not, which would report those handled
//! panics as crashes and stop the run. So by default this target replaces the hook:
//! every panic is recorded (message + location; each distinct location is printed
//! once to stderr), and only a panic that escapes `load_bytes` aborts, printing the
//! recorded panics of that input first.
//!
//! `ZHISHEN_FUZZ_STRICT=1` keeps libfuzzer-sys' hook: any panic, even a handled one,
//! aborts with a full backtrace (useful to reproduce an artifact).

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// Panics recorded while the current input runs (any thread, e.g. rayon workers).
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Locations already reported as handled panics.
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn install_hook() {
    if std::env::var_os("ZHISHEN_FUZZ_STRICT").is_some_and(|v| v != "0") {
        return;
    }
    panic::set_hook(Box::new(|info| {
        let loc = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "<unknown>".into());
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "<non-string payload>".into()
        };
        let thread = std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_string();
        lock(&PANICS).push(format!("thread '{thread}' panicked at {loc}: {msg}"));
        if lock(&SEEN)
            .get_or_insert_with(HashSet::new)
            .insert(loc.clone())
        {
            eprintln!(
                "zhishen-fuzz: panic at {loc}: {msg} (first at this location; \
                 fatal only if it escapes load_bytes)"
            );
        }
    }));
}

fuzz_target!(init: install_hook(), |data: &[u8]| {
    lock(&PANICS).clear();
    let r = panic::catch_unwind(AssertUnwindSafe(|| zhishen_ifc::load_bytes(data, "fuzz.ifc")));
    if r.is_err() {
        eprintln!("zhishen-fuzz: a panic ESCAPED load_bytes; panics recorded for this input:");
        for p in lock(&PANICS).iter() {
            eprintln!("  {p}");
        }
        std::process::abort();
    }
});
