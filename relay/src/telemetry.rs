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
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let quiet = ringlink_sms::QUIET_LOG_DIRECTIVES.iter();
    for directive in quiet.chain(ringlink_telephony::QUIET_LOG_DIRECTIVES) {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
