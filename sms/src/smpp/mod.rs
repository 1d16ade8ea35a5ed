//! The SMPP 3.4 gateway on `rusmppc`: the send path (encode, split, pace, submit_sm with
//! throttle and link retries, bounded wait for a bind) and the state shared with the session
//! loop in `session`. Never logs the password or message text.

mod pacer;
mod session;

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use ringlink_protocol::E164;
use rusmpp::pdus::SubmitSm;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, Npi, RegisteredDelivery, ServiceType, Ton};
use rusmpp::CommandStatus;
use rusmppc::error::Error as ClientError;
use rusmppc::Client;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use self::pacer::{throttle_pause, Pacer};
use crate::config::SmsConfig;
use crate::error::SmsError;
use crate::parts::{encode_text, Encoding, Part};
use crate::receipt::{id_variants, DeliveryReport};
use crate::{SmsGateway, SmsReceipt};

/// Delivery reports buffered per subscriber; a subscriber that lags further loses the oldest
/// (broadcast semantics), so a stalled consumer never blocks the SMSC link.
const REPORT_CHANNEL_CAPACITY: usize = 1024;
/// Sent message ids remembered to name the recipient in reports and to match hex/decimal id
/// spellings: at 10 messages a second this spans over an hour, which covers nearly every
/// receipt; older receipts still arrive, with the number taken from the receipt itself.
const SENT_ID_MEMORY: usize = 50_000;
/// ESME_RTHROTTLED answers tolerated for one part before the send fails.
const MAX_THROTTLE_RETRIES: u32 = 5;
/// Times a part is re-submitted after the link dropped under it. One: SMPP has no idempotency
/// key, so a part whose response was lost may arrive twice; losing a code is worse.
const MAX_LINK_RETRIES: u32 = 1;
/// TON/NPI for E.164 destinations: international, ISDN/telephone numbering plan.
const DEST_TON: Ton = Ton::International;
const DEST_NPI: Npi = Npi::Isdn;
/// registered_delivery "MC delivery receipt on final outcome, success or failure".
const REGISTERED_DELIVERY_FINAL: u8 = 0x01;

/// State shared by the senders and the session loop.
struct Shared {
    cfg: SmsConfig,
    /// The bound client, `None` while (re)binding. Senders wait on it.
    client: watch::Sender<Option<Client>>,
    reports: broadcast::Sender<DeliveryReport>,
    sent: Mutex<SentIds>,
    last_error: Mutex<String>,
    pacer: Pacer,
    /// Concatenation reference, one per multi-part message; wraps at 256.
    reference: AtomicU8,
    shutdown: CancellationToken,
}

impl Shared {
    fn set_last_error(&self, reason: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = reason;
    }

    fn last_error(&self) -> String {
        let last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_empty() {
            "no session yet".into()
        } else {
            last.clone()
        }
    }

    fn sent_lookup(&self, id: &str) -> Option<(String, E164)> {
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        id_variants(id)
            .into_iter()
            .find_map(|v| sent.map.get(&v).map(|to| (v, to.clone())))
    }

    fn remember(&self, id: &str, to: &E164) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.order.len() >= SENT_ID_MEMORY {
            if let Some(old) = sent.order.pop_front() {
                sent.map.remove(&old);
            }
        }
        if sent.map.insert(id.to_owned(), to.clone()).is_none() {
            sent.order.push_back(id.to_owned());
        }
    }
}

/// Message id -> recipient, oldest first out.
#[derive(Default)]
struct SentIds {
    order: VecDeque<String>,
    map: HashMap<String, E164>,
}

/// An SMPP 3.4 transceiver client that keeps itself bound. Dropping the last handle (or
/// cancelling the shutdown token) unbinds and stops the session.
pub struct SmppGateway {
    shared: Arc<Shared>,
    _stop_on_drop: DropGuard,
}

impl std::fmt::Debug for SmppGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppGateway")
            .field("smsc", &self.shared.cfg.address())
            .field("bound", &self.is_ready())
            .finish()
    }
}

impl SmppGateway {
    /// Starts the session loop in the background (needs a Tokio runtime) and returns at once.
    pub fn start(cfg: &SmsConfig, shutdown: CancellationToken) -> Result<Self, SmsError> {
        cfg.validate()?;
        if crate::codec_logs_secrets() {
            tracing::warn!(
                "rusmpp debug logging is on and prints the SMSC password and message texts; add {:?} to the log filter",
                crate::QUIET_LOG_DIRECTIVES
            );
        }
        let token = shutdown.child_token();
        let (reports, _) = broadcast::channel(REPORT_CHANNEL_CAPACITY);
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            client: watch::Sender::new(None),
            reports,
            sent: Mutex::new(SentIds::default()),
            last_error: Mutex::new(String::new()),
            pacer: Pacer::new(cfg.max_per_second),
            reference: AtomicU8::new(rand::random()),
            shutdown: token.clone(),
        });
        tokio::spawn(session::run(shared.clone()));
        Ok(Self {
            shared,
            _stop_on_drop: token.drop_guard(),
        })
    }

    /// Waits up to `timeout` for a bound session; true when bound.
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        self.bound_client(Instant::now() + timeout).await.is_ok()
    }

    /// Why the gateway is not bound, when it is not (for health pages).
    pub fn last_error(&self) -> Option<String> {
        (!self.is_ready()).then(|| self.shared.last_error())
    }

    async fn bound_client(&self, deadline: Instant) -> Result<Client, SmsError> {
        let mut rx = self.shared.client.subscribe();
        let wait = rx.wait_for(|c| c.as_ref().is_some_and(Client::is_active));
        tokio::select! {
            _ = self.shared.shutdown.cancelled() => Err(SmsError::ShutDown),
            outcome = tokio::time::timeout_at(deadline, wait) => match outcome {
                Ok(Ok(client)) => client.as_ref().cloned().ok_or(SmsError::ShutDown),
                Ok(Err(_)) => Err(SmsError::ShutDown),
                Err(_) => Err(SmsError::NotBound {
                    address: self.shared.cfg.address(),
                    waited: self.shared.cfg.bind_wait(),
                    last_error: self.shared.last_error(),
                }),
            },
        }
    }

    async fn send_text(&self, to: E164, text: String) -> Result<SmsReceipt, SmsError> {
        let cfg = &self.shared.cfg;
        let reference = self.shared.reference.fetch_add(1, Ordering::Relaxed);
        let encoded = encode_text(&text, reference, cfg.gsm7_packed, cfg.max_parts)?;
        let mut message_ids = Vec::with_capacity(encoded.parts.len());
        for part in &encoded.parts {
            let submit = self.submit_sm(&to, part, encoded.encoding)?;
            let id = self.submit_part(submit).await?;
            self.shared.remember(&id, &to);
            message_ids.push(id);
        }
        tracing::debug!(
            to = %to,
            parts = message_ids.len(),
            encoding = ?encoded.encoding,
            "SMS accepted by the SMSC"
        );
        Ok(SmsReceipt {
            message_ids,
            encoding: encoded.encoding,
        })
    }

    fn submit_sm(&self, to: &E164, part: &Part, encoding: Encoding) -> Result<SubmitSm, SmsError> {
        let cfg = &self.shared.cfg;
        let numeric = cfg.source_is_numeric();
        let (ton, npi) = if numeric { (1, 1) } else { (5, 0) };
        let source = cfg.source_addr.trim_start_matches('+');
        let field = |what: &str| SmsError::Config(format!("{what} does not fit an SMPP field"));
        Ok(SubmitSm::builder()
            .service_type(ServiceType::default())
            .source_addr_ton(Ton::from(cfg.source_addr_ton.unwrap_or(ton)))
            .source_addr_npi(Npi::from(cfg.source_addr_npi.unwrap_or(npi)))
            .source_addr(COctetString::from_str(source).map_err(|_| field("[sms] source_addr"))?)
            .dest_addr_ton(DEST_TON)
            .dest_addr_npi(DEST_NPI)
            .destination_addr(
                COctetString::from_str(to.as_str().trim_start_matches('+'))
                    .map_err(|_| field("the destination number"))?,
            )
            .esm_class(EsmClass::from(part.esm_class))
            .registered_delivery(RegisteredDelivery::from(if cfg.delivery_receipts {
                REGISTERED_DELIVERY_FINAL
            } else {
                0
            }))
            .data_coding(DataCoding::from(encoding.data_coding()))
            .short_message(
                OctetString::from_vec(part.short_message.clone())
                    .map_err(|_| field("a message part"))?,
            )
            .build())
    }

    /// Submits one part, waiting for a bind, pacing, and retrying throttling and one link drop.
    async fn submit_part(&self, submit: SubmitSm) -> Result<String, SmsError> {
        let mut throttled = 0u32;
        let mut link_retries = 0u32;
        loop {
            let client = self
                .bound_client(Instant::now() + self.shared.cfg.bind_wait())
                .await?;
            self.shared.pacer.wait().await;
            let error = match client.submit_sm(submit.clone()).await {
                Ok(resp) => return Ok(resp.message_id().as_str().to_owned()),
                Err(error) => error,
            };
            match error {
                ClientError::UnexpectedResponse { response } => {
                    let status = response.status();
                    if !matches!(
                        status,
                        CommandStatus::EsmeRthrottled | CommandStatus::EsmeRmsgqful
                    ) {
                        return Err(SmsError::Rejected {
                            status: u32::from(status),
                            name: format!("{status:?}"),
                        });
                    }
                    throttled += 1;
                    if throttled > MAX_THROTTLE_RETRIES {
                        return Err(SmsError::Throttled {
                            retries: MAX_THROTTLE_RETRIES,
                        });
                    }
                    let pause = throttle_pause(throttled);
                    tracing::warn!(status = ?status, ?pause, attempt = throttled, "SMSC is throttling; backing off");
                    self.shared.pacer.pause(pause);
                }
                ClientError::ResponseTimeout { timeout, .. } => {
                    return Err(SmsError::Timeout { after: timeout })
                }
                ClientError::ConnectionClosed
                | ClientError::ConnectionClosedByPeer
                | ClientError::Io(_) => {
                    link_retries += 1;
                    if link_retries > MAX_LINK_RETRIES {
                        return Err(SmsError::LinkLost(error.to_string()));
                    }
                    tracing::warn!(error = %error, "SMSC link dropped under a submit_sm; retrying after rebind");
                    // Make sure the next wait needs a fresh session, not this dead one.
                    let _ = client.close().await;
                }
                other => return Err(SmsError::LinkLost(other.to_string())),
            }
        }
    }
}

impl SmsGateway for SmppGateway {
    fn send(&self, to: &E164, text: &str) -> BoxFuture<'_, Result<SmsReceipt, SmsError>> {
        Box::pin(self.send_text(to.clone(), text.to_owned()))
    }

    fn delivery_reports(&self) -> broadcast::Receiver<DeliveryReport> {
        self.shared.reports.subscribe()
    }

    fn kind(&self) -> &'static str {
        "smpp"
    }

    fn is_ready(&self) -> bool {
        self.shared
            .client
            .borrow()
            .as_ref()
            .is_some_and(Client::is_active)
    }
}
