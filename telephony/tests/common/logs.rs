//! Captures every tracing event of the test process (at debug, through the same forced
//! directives the relay adds to its filter) so a test can check what each level would print.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::EnvFilter;

/// One captured event: its level, target and fields as text.
#[derive(Clone, Debug)]
pub struct Line {
    pub level: Level,
    pub target: String,
    pub text: String,
}

type Lines = Arc<Mutex<Vec<Line>>>;

struct Capture(Lines);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={value} ", field.name());
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.0.lock().unwrap().push(Line {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            text: f.0,
        });
    }
}

/// Installs the process-wide capture once; returns the shared log.
pub fn capture() -> Lines {
    static LINES: OnceLock<Lines> = OnceLock::new();
    LINES
        .get_or_init(|| {
            let lines = Lines::default();
            let mut filter = EnvFilter::new("debug");
            for d in ringlink_telephony::QUIET_LOG_DIRECTIVES {
                filter = filter.add_directive(d.parse().unwrap());
            }
            let subscriber = tracing_subscriber::registry()
                .with(filter)
                .with(Capture(lines.clone()));
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
            lines
        })
        .clone()
}

/// The captured lines a filter at `level` (with the forced directives) would print.
pub fn at_or_above(lines: &Lines, level: Level) -> Vec<Line> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.level <= level)
        .cloned()
        .collect()
}
