//! GDAL's error handler (CPL). GDAL reports read errors ("fread failed", a broken
//! SQLite page, a JSON syntax error) through CPLError and, by default, prints them to
//! stderr and carries on with what it could read: a false-pass path. One process-wide
//! handler is installed instead; while a load runs on a thread it collects that thread's
//! messages so the loader turns them into findings naming file, layer and fid. Messages
//! raised while no load is collecting go to `tracing`, formatted like every other log line.

use gdal::errors::CplErrType;
use std::cell::RefCell;
use std::sync::Once;

/// One GDAL message.
#[derive(Debug, Clone)]
pub(crate) struct CplMessage {
    pub class: CplErrType,
    pub num: i32,
    pub text: String,
}

impl CplMessage {
    /// CE_Failure and CE_Fatal: GDAL could not do what was asked.
    pub fn is_error(&self) -> bool {
        matches!(self.class, CplErrType::Failure | CplErrType::Fatal)
    }
}

/// Messages kept per collection; a hostile file can raise millions, the rest are counted.
const KEEP: usize = 1000;

#[derive(Default)]
struct Sink {
    messages: Vec<CplMessage>,
    dropped: usize,
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Installs the handler once per process.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| gdal::config::set_error_handler(route));
}

fn route(class: CplErrType, num: i32, text: &str) {
    let unclaimed = SINK.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => match s.as_mut() {
            Some(sink) => {
                if sink.messages.len() < KEEP {
                    sink.messages.push(CplMessage {
                        class,
                        num,
                        text: text.to_string(),
                    });
                } else {
                    sink.dropped += 1;
                }
                false
            }
            None => true,
        },
        Err(_) => true,
    });
    if unclaimed {
        match class {
            CplErrType::None | CplErrType::Debug => tracing::debug!(target: "gdal", num, "{text}"),
            CplErrType::Warning => tracing::warn!(target: "gdal", num, "{text}"),
            CplErrType::Failure | CplErrType::Fatal => {
                tracing::error!(target: "gdal", num, "{text}")
            }
        }
    }
}

/// Collects this thread's GDAL messages until dropped. Captures nest: an inner one
/// hides the outer one's sink and gives it back when dropped.
pub(crate) struct Capture {
    outer: Option<Sink>,
}

impl Capture {
    pub fn start() -> Capture {
        install();
        Capture {
            outer: SINK.with(|s| s.borrow_mut().replace(Sink::default())),
        }
    }

    /// The messages since the last drain and how many more were dropped past the cap.
    pub fn drain(&self) -> (Vec<CplMessage>, usize) {
        SINK.with(|s| match s.borrow_mut().as_mut() {
            Some(sink) if !sink.messages.is_empty() || sink.dropped > 0 => (
                std::mem::take(&mut sink.messages),
                std::mem::take(&mut sink.dropped),
            ),
            _ => (Vec::new(), 0),
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let (left, dropped) = self.drain();
        SINK.with(|s| *s.borrow_mut() = self.outer.take());
        for m in left {
            route(m.class, m.num, &m.text);
        }
        if dropped > 0 {
            tracing::warn!(target: "gdal", "{dropped} more GDAL messages were not kept");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_collected_not_printed_and_captures_nest() {
        let outer = Capture::start();
        route(CplErrType::Failure, 1, "first");
        {
            let inner = Capture::start();
            route(CplErrType::Warning, 6, "inner");
            let (m, d) = inner.drain();
            assert_eq!(m.len(), 1);
            assert_eq!(m[0].text, "inner");
            assert!(!m[0].is_error());
            assert_eq!(d, 0);
        }
        let (m, _) = outer.drain();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].is_error() && m[0].text == "first");
        for i in 0..KEEP + 5 {
            route(CplErrType::Warning, 1, &format!("w{i}"));
        }
        let (m, d) = outer.drain();
        assert_eq!((m.len(), d), (KEEP, 5));
        assert!(outer.drain().0.is_empty());
    }

    #[test]
    fn gdal_errors_reach_the_capture() {
        let c = Capture::start();
        // PROJ has no EPSG:999999; OSRImportFromEPSG raises CE_Failure through CPLError.
        assert!(gdal::spatial_ref::SpatialRef::from_epsg(999_999).is_err());
        let (m, _) = c.drain();
        assert!(m.iter().any(CplMessage::is_error), "{m:?}");
    }
}
