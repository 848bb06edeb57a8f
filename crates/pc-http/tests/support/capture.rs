//! A tiny tracing subscriber that writes every span and event, at every level, to a
//! string.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::fmt::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

struct Capture {
    out: Arc<Mutex<String>>,
    next: AtomicU64,
}

struct Writer<'a>(&'a mut String);

impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "span {}:", span.metadata().name());
        span.record(&mut Writer(&mut out));
        out.push('\n');
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut out = self.out.lock().unwrap();
        out.push_str("record:");
        values.record(&mut Writer(&mut out));
        out.push('\n');
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "event {}:", event.metadata().level());
        event.record(&mut Writer(&mut out));
        out.push('\n');
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Runs `f` with the capturing subscriber and returns everything it recorded.
pub fn capture<T>(f: impl FnOnce() -> T) -> (String, T) {
    let out = Arc::new(Mutex::new(String::new()));
    let subscriber = Capture {
        out: out.clone(),
        next: AtomicU64::new(0),
    };
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = out.lock().unwrap().clone();
    (text, value)
}
