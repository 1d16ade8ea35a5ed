//! Typed errors: starting the agent (`TelephonyError`) and placing one call (`CallError`).

use std::net::SocketAddr;

/// The agent could not start; the message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum TelephonyError {
    #[error("telephony config is invalid: {0}")]
    Config(String),
    #[error(
        "cannot listen for SIP on {addr}: {source} (is the port taken? use port 0 to pick one)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("SIP stack error: {0}")]
    Sip(String),
}

/// A call could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no route for {0}: add a `routes` entry whose prefix matches, or set `trunk`")]
    NoRoute(String),
    #[error("no free RTP port in {min}..={max}: widen rtp_port_min/rtp_port_max")]
    NoRtpPort { min: u16, max: u16 },
    #[error("the telephony agent is shutting down")]
    ShuttingDown,
    #[error("SIP target '{0}' is not host:port")]
    BadTarget(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}
