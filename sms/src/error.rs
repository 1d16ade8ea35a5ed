//! Every way sending an SMS or starting a gateway can fail. Messages say what to check next and
//! never carry the SMSC password or the message text.

use std::time::Duration;

/// Why an SMS was not sent (or a gateway not built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The `[sms]` configuration is unusable.
    #[error("SMS configuration: {0}")]
    Config(String),

    /// Nothing to send.
    #[error("the SMS text is empty: there is nothing to send")]
    EmptyText,

    /// The text needs more parts than `[sms] max_parts` allows.
    #[error("the SMS text needs {parts} parts; at most {max} are allowed ([sms] max_parts): shorten the text")]
    TooLong { parts: usize, max: u8 },

    /// The gateway has no bound SMSC session and none came within the wait.
    #[error("the SMSC at {address} is not bound after waiting {waited:?} ({last_error}); check that it runs and that [sms] host, port, system_id and password are right")]
    NotBound {
        address: String,
        waited: Duration,
        last_error: String,
    },

    /// The SMSC answered submit_sm with an error status.
    #[error("the SMSC refused the message: {name} (command_status 0x{status:08X})")]
    Rejected { status: u32, name: String },

    /// The SMSC kept answering ESME_RTHROTTLED past the retry budget.
    #[error("the SMSC is throttling (ESME_RTHROTTLED) and still refused after {retries} retries; lower [sms] max_per_second or try again later")]
    Throttled { retries: u32 },

    /// The SMSC did not answer a submit_sm in time; it may or may not have accepted it.
    #[error(
        "the SMSC did not answer within {after:?}; the message may or may not have been accepted"
    )]
    Timeout { after: Duration },

    /// The SMSC link dropped while a part was in flight, again after the one retry.
    #[error("the SMSC link dropped while sending ({0}); the message may not have been sent")]
    LinkLost(String),

    /// The gateway is shutting down.
    #[error("the SMS gateway is shutting down")]
    ShutDown,
}

/// Library result alias.
pub type Result<T, E = SmsError> = std::result::Result<T, E>;
