//! Logs (text or JSON lines, never secrets) and Prometheus metrics rendered at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once (later calls, as in tests, reuse it).
pub fn install_metrics() {
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().ok());
}

/// The metrics in Prometheus text format.
pub fn render() -> String {
    HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default()
}

/// Structured logs to stderr; `RUST_LOG` filters (default `info`). The SMPP codec's PDU dumps
/// stay at `info` whatever `RUST_LOG` says: a bind PDU holds the SMSC password and a submit_sm
/// holds verification codes. rsipstack's raw SIP dumps stay off for the same reason (the trunk's
/// digest response); the agent logs SIP itself at debug, redacted (`ringlink_telephony::sip_log`).
pub fn init_logs(format: &str) {
    let filter = log_filter(
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    );
    // Colours only on a terminal: a log file (the demo's relay.log, journald) gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// `base` (from `RUST_LOG`, or `info`) with the directives that keep secrets out whatever it says.
fn log_filter(mut filter: tracing_subscriber::EnvFilter) -> tracing_subscriber::EnvFilter {
    let quiet = ringlink_sms::QUIET_LOG_DIRECTIVES.iter();
    for directive in quiet.chain(ringlink_telephony::QUIET_LOG_DIRECTIVES) {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    /// Whether a subscriber with the relay's filter over `base` prints `target` at `level`.
    fn prints(base: &str, target_is_udp: bool, level: Level) -> bool {
        let filter = super::log_filter(tracing_subscriber::EnvFilter::new(base));
        let sub = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(sub, || {
            if target_is_udp {
                match level {
                    Level::INFO => {
                        tracing::enabled!(target: "rsipstack::transport::udp", Level::INFO)
                    }
                    _ => tracing::enabled!(target: "rsipstack::transport::udp", Level::DEBUG),
                }
            } else {
                tracing::enabled!(target: "ringlink_telephony::sip_wire", Level::DEBUG)
            }
        })
    }

    #[test]
    fn raw_sip_dumps_stay_off_and_the_redacted_log_is_debug_only() {
        // covers #8 §5 logs: rsipstack logs every packet raw (Proxy-Authorization included) at
        // info; the relay's filter keeps that off at the default level and under RUST_LOG=debug
        assert!(!prints("info", true, Level::INFO));
        assert!(!prints("debug", true, Level::DEBUG));
        assert!(!prints("rsipstack=debug", true, Level::INFO));
        // The agent's own redacted packet log: off by default, on at debug.
        assert!(!prints("info", false, Level::DEBUG));
        assert!(prints("debug", false, Level::DEBUG));
    }
}
