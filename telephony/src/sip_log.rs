//! What the agent logs of SIP traffic: every packet at debug level only (target
//! [`SIP_WIRE_TARGET`]), with `Authorization` and `Proxy-Authorization` redacted, since a
//! digest response lets anyone who reads the log attack the trunk password offline. rsipstack's
//! own raw packet dumps (info level in `rsipstack::transport`, debug in `rsipstack::dialog`)
//! print those headers in full: [`QUIET_LOG_DIRECTIVES`] keeps them off at every level.

use rsipstack::sip::SipMessage;
use rsipstack::transaction::endpoint::MessageInspector;
use rsipstack::transport::SipAddr;

/// The tracing target of the agent's own, redacted packet log (debug level).
pub const SIP_WIRE_TARGET: &str = "ringlink_telephony::sip_wire";

/// Directives a process adds to its log filter whatever `RUST_LOG` says: rsipstack logs every
/// packet raw (with the trunk's digest response) at info in its transports and failed requests
/// at debug in its dialogs. The agent's own packet log replaces both, redacted.
pub const QUIET_LOG_DIRECTIVES: &[&str] = &["rsipstack::transport=warn", "rsipstack::dialog=info"];

/// Headers whose value is never logged (RFC 3261 §20.7, §20.28).
const SECRET_HEADERS: [&str; 2] = ["authorization", "proxy-authorization"];

/// `text` (a SIP message) with the value of every credential header replaced.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let name = line.split(':').next().unwrap_or_default().trim();
        if line.contains(':') && SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            out.push_str(name);
            out.push_str(": <redacted>");
            out.push_str(if line.ends_with("\r\n") { "\r\n" } else { "\n" });
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Logs each packet the endpoint sends or receives, redacted, at debug level.
pub(crate) struct WireLog;

fn log(direction: &'static str, msg: &SipMessage, peer: Option<&SipAddr>) {
    if tracing::enabled!(target: SIP_WIRE_TARGET, tracing::Level::DEBUG) {
        let peer = peer.map(|p| p.to_string()).unwrap_or_default();
        let text = redact(&msg.to_string());
        tracing::debug!(target: SIP_WIRE_TARGET, direction, %peer, "{text}");
    }
}

impl MessageInspector for WireLog {
    fn before_send(&self, msg: SipMessage, dest: Option<&SipAddr>) -> SipMessage {
        log("sent", &msg, dest);
        msg
    }

    fn after_received(&self, msg: SipMessage, from: Option<&SipAddr>) -> SipMessage {
        log("received", &msg, from);
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_redacted_and_the_rest_is_kept() {
        // covers #8 §5 logs: no digest response in any log line
        let msg = "INVITE sip:+861@t SIP/2.0\r\n\
                   Proxy-Authorization: Digest username=\"u\", response=\"0123abcd\"\r\n\
                   authorization: Digest username=\"u\", response=\"4567ef\"\r\n\
                   Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n\
                   Call-ID: x\r\n\r\nv=0\r\n";
        let r = redact(msg);
        assert!(!r.contains("0123abcd") && !r.contains("4567ef"), "{r}");
        assert!(r.contains("Proxy-Authorization: <redacted>\r\n"), "{r}");
        assert!(r.contains("authorization: <redacted>\r\n"), "{r}");
        assert!(r.contains("Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n"));
        assert!(r.starts_with("INVITE sip:+861@t SIP/2.0\r\n") && r.ends_with("\r\n\r\nv=0\r\n"));
    }
}
