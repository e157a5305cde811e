//! Captures what the code under test logs, on this test's thread.

use std::sync::{Arc, Mutex, Once};

pub struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

/// `tracing` caches each callsite's interest once for the whole process, asking the subscriber of
/// the thread that reaches it first. A test without a capture reaching a log line first would pin
/// it to "never" and blind every capture after it. A global subscriber that wants everything (and
/// writes nowhere) keeps every cached interest open; each capture then filters on its own thread.
fn keep_every_callsite_interested() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Refused only when a global subscriber exists already, which keeps interest open too.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
}

pub fn capture() -> Capture {
    keep_every_callsite_interested();
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&buffer);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Writer(Arc::clone(&writer)))
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    Capture {
        buffer,
        _guard: guard,
    }
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
