//! The SMSC session loop: connect, bind_transceiver (SMPP 3.4), publish the bound client to
//! senders, answer deliver_sm and turn receipts into reports, and rebind with jittered backoff
//! whenever the link drops, until shutdown (which unbinds politely).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use rusmpp::pdus::{BindTransceiver, DeliverSm, DeliverSmResp};
use rusmpp::tlvs::TlvValue;
use rusmpp::types::COctetString;
use rusmpp::values::{InterfaceVersion, Npi, Ton};
use rusmpp::{Command, Pdu};
use rusmppc::{Client, ConnectionBuilder, Event};
use tokio::net::TcpStream;

use super::pacer::Backoff;
use super::Shared;
use crate::now_unix_ms;
use crate::receipt::{
    parse_receipt_text, DeliveryReport, DeliveryState, ReceiptText, ESM_DELIVERY_RECEIPT,
    ESM_INTERMEDIATE_NOTIFICATION, ESM_MESSAGE_TYPE_MASK,
};
use ringlink_protocol::E164;

/// TCP connect: a SYN unanswered this long means the host is down or filtered.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// bind_transceiver response: SMSCs that check credentials against a database can be slow,
/// but not this slow.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// unbind at shutdown: politeness, not worth holding the relay's exit for longer.
const UNBIND_TIMEOUT: Duration = Duration::from_secs(2);
/// A session that lasted this long was healthy: the next rebind starts the backoff ladder
/// again. Shorter ones keep climbing it, so an SMSC that accepts binds and then drops them is
/// not hammered.
const STABLE_SESSION: Duration = Duration::from_secs(30);
/// Largest PDU accepted from the SMSC: a deliver_sm with a 254-octet body and its TLVs is far
/// below this; anything larger is a broken peer.
const MAX_COMMAND_LENGTH: usize = 4096;

/// Why a bound session ended.
enum End {
    Shutdown,
    Lost(String),
}

/// Runs until `shared.shutdown` is cancelled.
pub(super) async fn run(shared: Arc<Shared>) {
    let address = shared.cfg.address();
    let mut backoff = Backoff::new();
    while !shared.shutdown.is_cancelled() {
        let attempt = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            attempt = connect_and_bind(&shared) => attempt,
        };
        match attempt {
            Ok((client, events)) => {
                let bound_at = tokio::time::Instant::now();
                tracing::info!(smsc = %address, system_id = %shared.cfg.system_id, "bound to the SMSC (transceiver)");
                shared.set_last_error(String::new());
                shared.client.send_replace(Some(client.clone()));
                let end = serve(&shared, &client, events).await;
                shared.client.send_replace(None);
                if bound_at.elapsed() >= STABLE_SESSION {
                    backoff.reset();
                }
                match end {
                    End::Shutdown => {
                        let _ = tokio::time::timeout(UNBIND_TIMEOUT, client.unbind()).await;
                        let _ = client.close().await;
                        break;
                    }
                    End::Lost(reason) => {
                        tracing::warn!(smsc = %address, %reason, "SMSC link lost; rebinding");
                        shared.set_last_error(reason);
                        let _ = client.close().await;
                    }
                }
            }
            Err(reason) => {
                tracing::warn!(smsc = %address, %reason, "SMSC bind failed; retrying");
                shared.set_last_error(reason);
            }
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    shared.client.send_replace(None);
    tracing::info!(smsc = %address, "SMPP gateway stopped");
}

/// Opens TCP and binds as a transceiver. The error string never holds the password.
async fn connect_and_bind(
    shared: &Shared,
) -> Result<(Client, impl Stream<Item = Event> + Unpin + 'static), String> {
    let cfg = &shared.cfg;
    let stream = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| format!("connect timed out after {CONNECT_TIMEOUT:?}"))?
    .map_err(|e| format!("connect failed: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (client, events) = ConnectionBuilder::new()
        .max_command_length(MAX_COMMAND_LENGTH)
        .enquire_link_interval(cfg.enquire_link_interval())
        // A link that cannot answer a keep-alive within the submit_sm response time is dead.
        .enquire_link_response_timeout(cfg.response_timeout())
        .response_timeout(cfg.response_timeout())
        // rusmppc speaks SMPP 5 but only checks the version we bind with; we bind as 3.4.
        .disable_interface_version_check()
        .connected(stream);
    let bind = BindTransceiver::builder()
        .system_id(text(&cfg.system_id, "system_id")?)
        .password(text(cfg.password.expose(), "password")?)
        .system_type(text(&cfg.system_type, "system_type")?)
        .interface_version(InterfaceVersion::Smpp3_4)
        .addr_ton(Ton::Unknown)
        .addr_npi(Npi::Unknown)
        .address_range(COctetString::empty())
        .build();
    let outcome = tokio::time::timeout(BIND_TIMEOUT, client.bind_transceiver(bind)).await;
    let failure = match outcome {
        Ok(Ok(_)) => return Ok((client, events)),
        Ok(Err(rusmppc::error::Error::UnexpectedResponse { response })) => format!(
            "bind refused: {:?} (check [sms] system_id, password and system_type)",
            response.status()
        ),
        Ok(Err(e)) => format!("bind failed: {e}"),
        Err(_) => format!("no bind response within {BIND_TIMEOUT:?}"),
    };
    let _ = client.close().await;
    Err(failure)
}

/// An SMPP C-string field from configuration; the error names the key, never the value.
fn text<const MIN: usize, const MAX: usize>(
    value: &str,
    key: &str,
) -> Result<COctetString<MIN, MAX>, String> {
    COctetString::from_str(value).map_err(|_| format!("[sms] {key} is not a valid SMPP string"))
}

/// Serves one bound session until the link drops or shutdown.
async fn serve(
    shared: &Shared,
    client: &Client,
    mut events: impl Stream<Item = Event> + Unpin,
) -> End {
    let mut last_error = String::from("the SMSC closed the connection");
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return End::Shutdown,
            event = events.next() => match event {
                None => return End::Lost(last_error),
                Some(Event::Error(e)) => {
                    // Fatal errors close the connection; the stream then ends.
                    tracing::debug!(error = %e, "SMPP connection event");
                    last_error = e.to_string();
                }
                Some(Event::Incoming(command)) => {
                    if let Some(end) = incoming(shared, client, command).await {
                        return end;
                    }
                }
            },
        }
    }
}

/// Handles a request from the SMSC. Returns `Some` when the session must end.
async fn incoming(shared: &Shared, client: &Client, command: Command) -> Option<End> {
    let sequence = command.sequence_number();
    match command.pdu() {
        Some(Pdu::DeliverSm(deliver)) => {
            if let Err(e) = client
                .deliver_sm_resp(sequence, DeliverSmResp::default())
                .await
            {
                tracing::warn!(error = %e, "could not answer deliver_sm");
            }
            on_deliver_sm(shared, deliver);
            None
        }
        Some(Pdu::Unbind) => {
            let _ = client.unbind_resp(sequence).await;
            Some(End::Lost("the SMSC unbound the session".into()))
        }
        _ => {
            tracing::debug!(command = ?command.id(), "SMSC request not handled; ignored");
            None
        }
    }
}

/// Turns a delivery receipt into a report. Mobile-originated messages are not handled yet and
/// are only counted in the log (without their text).
fn on_deliver_sm(shared: &Shared, deliver: &DeliverSm) {
    let esm_class = u8::from(deliver.esm_class);
    let message_type = esm_class & ESM_MESSAGE_TYPE_MASK;
    if message_type != ESM_DELIVERY_RECEIPT && message_type != ESM_INTERMEDIATE_NOTIFICATION {
        tracing::info!(esm_class, "mobile-originated SMS received and ignored");
        return;
    }
    let body = String::from_utf8_lossy(deliver.short_message().as_ref());
    let Some(parsed) = parse_receipt_text(&body).or_else(|| receipt_from_tlvs(deliver)) else {
        tracing::warn!(
            esm_class,
            len = body.len(),
            "delivery receipt not understood; dropped"
        );
        return;
    };
    let (message_id, to) = match shared.sent_lookup(&parsed.id) {
        Some((id, to)) => (id, Some(to)),
        None => {
            let handset = deliver.source_addr.as_str().trim_start_matches('+');
            (parsed.id, E164::new(&format!("+{handset}")).ok())
        }
    };
    tracing::debug!(%message_id, state = ?parsed.state, "delivery receipt");
    // No subscriber is fine: nobody is waiting for receipts.
    let _ = shared.reports.send(DeliveryReport {
        message_id,
        to,
        state: parsed.state,
        error_code: parsed.error_code,
        at_unix_ms: now_unix_ms(),
    });
}

/// The receipted_message_id and message_state TLVs, for SMSCs that put the outcome there.
fn receipt_from_tlvs(deliver: &DeliverSm) -> Option<ReceiptText> {
    let (mut id, mut state) = (None, None);
    for tlv in deliver.tlvs() {
        match tlv.value() {
            Some(TlvValue::ReceiptedMessageId(value)) => id = Some(value.as_str().to_owned()),
            Some(TlvValue::MessageState(value)) => {
                state = Some(DeliveryState::from_message_state(u8::from(*value)));
            }
            _ => {}
        }
    }
    Some(ReceiptText {
        id: id.filter(|id| !id.is_empty())?,
        state: state?,
        error_code: None,
    })
}
