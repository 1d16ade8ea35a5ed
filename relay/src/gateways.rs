//! The relay's ways out to the phone network, started once with the server and reachable by
//! every domain: the SMS gateway (sign-up codes, CALL's number codes, INBOX's texts) and
//! `CallControl` (CALL's two-leg calls, PAY's PIN calls). Admin commands and migrations never
//! start them.

use std::sync::{Arc, OnceLock};

use ringlink_sms::SmsGateway;
use ringlink_telephony::CallControl;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// Why a gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the SIP agent could not start: {0}")]
    Telephony(#[from] ringlink_telephony::TelephonyError),
    #[error("the SMS gateway could not start: {0}")]
    Sms(#[from] ringlink_sms::SmsError),
}

#[derive(Default)]
pub struct Gateways {
    /// Unset when no SIP trunk is configured: calls are refused as unavailable.
    control: OnceLock<Arc<dyn CallControl>>,
    sms: OnceLock<Arc<dyn SmsGateway>>,
}

impl Gateways {
    /// Starts the SMS gateway and, when `[telephony]` is configured, the SIP agent.
    pub async fn connect(
        &self,
        config: &Config,
        shutdown: CancellationToken,
    ) -> Result<(), GatewayError> {
        let sms = ringlink_sms::gateway_from_config(&config.sms, shutdown.clone()).await?;
        tracing::info!(gateway = sms.kind(), "SMS gateway ready");
        let _ = self.sms.set(sms);
        if let Some(t) = &config.telephony {
            let agent = ringlink_telephony::SipAgent::start(t.clone(), shutdown).await?;
            tracing::info!(sip = %agent.local_sip_addr(), "SIP agent ready for calls");
            let control: Arc<dyn CallControl> = agent;
            let _ = self.control.set(control);
        } else {
            tracing::info!("no [telephony] configured: call requests are refused as unavailable");
        }
        Ok(())
    }

    /// The SMS gateway, once the relay is serving.
    pub fn sms(&self) -> Option<&Arc<dyn SmsGateway>> {
        self.sms.get()
    }

    /// The call control (the SIP agent), when a trunk is configured and the relay is serving.
    pub fn call_control(&self) -> Option<&Arc<dyn CallControl>> {
        self.control.get()
    }
}
