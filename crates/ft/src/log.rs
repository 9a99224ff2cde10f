//! vmft's log lines: `tracing` events printed on standard error as `vmft: MESSAGE`, one line
//! each, without timestamps or targets, so that the lines operators and scripts read keep
//! their text. `VMFT_LOG` filters them with `tracing`'s directive syntax (`debug`,
//! `ft=debug`, `warn`...; default `info`); at `debug` and below each line also shows the
//! event's fields (`{change=... epoch=...}`).
//!
//! Every state change of a side is one `info` event with a `change` field from
//! [`changes`], for subscribers that want the structure rather than the text.

use std::fmt;
use std::str::FromStr;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The values of the `change` field of state-change events.
pub mod changes {
    /// A primary listens for its backup.
    pub const LISTENING: &str = "listening";
    /// A backup's channel to its primary is up.
    pub const CONNECTED: &str = "connected";
    /// The core entered a state (the event's `state` field says which): in sync (protected,
    /// following), peer lost (claiming), arbiter won (alone, live) or lost (halted).
    pub const STATE: &str = "state";
    /// A peer was refused, or refused this side.
    pub const REFUSED: &str = "refused";
    /// The logging channel failed or was closed.
    pub const CHANNEL: &str = "channel";
    /// The arbiter could not be asked.
    pub const ARBITER_UNREACHABLE: &str = "arbiter-unreachable";
    /// The backup went live.
    pub const LIVE: &str = "live";
    /// The side halts.
    pub const HALTED: &str = "halted";
    /// The pair's figures at the end of a run.
    pub const SUMMARY: &str = "summary";
}

/// The environment variable with the filter.
pub const ENV: &str = "VMFT_LOG";

/// Installs the subscriber for this process. A `VMFT_LOG` that does not parse is said once
/// and the default (`info`) used.
pub fn init() {
    let (filter, bad) = match std::env::var(ENV) {
        Ok(spec) if !spec.trim().is_empty() => match Targets::from_str(&spec) {
            Ok(filter) => (filter, None),
            Err(error) => (default_filter(), Some(format!("{ENV}={spec}: {error}"))),
        },
        _ => (default_filter(), None),
    };
    let fields = filter
        .default_level()
        .into_iter()
        .chain(filter.iter().map(|(_, level)| level))
        .any(|level| level >= LevelFilter::DEBUG);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .event_format(Lines { fields });
    // Only the first subscriber of a process counts; a second init changes nothing.
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
    if let Some(bad) = bad {
        tracing::warn!("ignoring {bad}; logging at info");
    }
}

fn default_filter() -> Targets {
    Targets::new().with_default(Level::INFO)
}

/// The line format: `vmft: ` and the message, `error: ` before errors, and the other fields
/// when `fields` is set.
struct Lines {
    fields: bool,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::DEBUG => "debug: ",
            Level::TRACE => "trace: ",
            _ => "",
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        write!(writer, "vmft: {level}{}", fields.message)?;
        if self.fields && !fields.others.is_empty() {
            write!(writer, " {{{}}}", fields.others.join(" "))?;
        }
        writeln!(writer)
    }
}

/// An event's message and its other fields as `name=value`.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.others.push(format!("{}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.others.push(format!("{}={value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            crate::engine_io::lock(&self.0).extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn lines(fields: bool, level: Level, emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(captured.clone())
            .event_format(Lines { fields });
        let subscriber = tracing_subscriber::registry()
            .with(layer)
            .with(Targets::new().with_default(level));
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = crate::engine_io::lock(&captured.0).clone();
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn lines_keep_their_text_and_show_fields_only_when_debugging() {
        let emit = || {
            tracing::info!(change = changes::LIVE, epoch = 2, "live in epoch {}", 2);
            tracing::error!("refused the primary: {}", "disk hash");
            tracing::debug!("a detail");
        };
        assert_eq!(
            lines(false, Level::INFO, emit),
            "vmft: live in epoch 2\nvmft: error: refused the primary: disk hash\n"
        );
        assert_eq!(
            lines(true, Level::DEBUG, emit),
            "vmft: live in epoch 2 {change=live epoch=2}\n\
             vmft: error: refused the primary: disk hash\n\
             vmft: debug: a detail\n"
        );
    }
}
