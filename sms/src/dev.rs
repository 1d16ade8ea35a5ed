//! The development gateway: sends nothing, logs each message (text included, on purpose: it is
//! how a developer reads the code they were sent) and keeps the newest messages in a bounded
//! in-memory outbox for the relay's dev outbox page.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use ringlink_protocol::E164;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::config::DEFAULT_MAX_PARTS;
use crate::error::SmsError;
use crate::parts::{encode_text, Encoding};
use crate::receipt::{DeliveryReport, DeliveryState};
use crate::{now_unix_ms, SmsGateway, SmsReceipt};

/// Default outbox size: enough for a demo session's codes and coupons, small enough that a
/// forgotten dev relay cannot grow without bound. When full, the oldest entry is dropped to
/// make room (the page shows the newest; nothing else reads old entries).
pub const DEFAULT_OUTBOX_CAPACITY: usize = 200;

/// Delivery reports buffered per subscriber; a subscriber that lags further loses the oldest.
const REPORT_CHANNEL_CAPACITY: usize = 256;

/// One message in the dev outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// The dev message id (`dev-<n>`), as in the receipt and the delivery report.
    pub message_id: String,
    pub to: E164,
    pub text: String,
    /// How the SMPP gateway would encode it, and in how many parts.
    pub encoding: Encoding,
    pub parts: usize,
    pub at_unix_ms: u64,
}

/// Logs messages and keeps the newest `capacity` of them. Every send "delivers" at once: a
/// `Delivered` report follows each message so flows that wait for receipts work in the demo.
#[derive(Debug)]
pub struct DevGateway {
    outbox: Mutex<VecDeque<OutboxEntry>>,
    capacity: usize,
    max_parts: u8,
    next_id: AtomicU64,
    reports: broadcast::Sender<DeliveryReport>,
}

impl DevGateway {
    /// A dev gateway keeping at most `capacity` messages (at least one).
    pub fn new(capacity: usize) -> Self {
        let (reports, _) = broadcast::channel(REPORT_CHANNEL_CAPACITY);
        Self {
            outbox: Mutex::new(VecDeque::with_capacity(capacity.clamp(1, 1024))),
            capacity: capacity.max(1),
            max_parts: DEFAULT_MAX_PARTS,
            next_id: AtomicU64::new(1),
            reports,
        }
    }

    /// Refuses texts longer than `max_parts` parts, as the SMPP gateway with the same
    /// `[sms] max_parts` would.
    pub fn with_max_parts(mut self, max_parts: u8) -> Self {
        self.max_parts = max_parts;
        self
    }

    /// The outbox, newest first.
    pub fn outbox(&self) -> Vec<OutboxEntry> {
        let outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        outbox.iter().rev().cloned().collect()
    }

    /// Empties the outbox (a dev page's "clear" button).
    pub fn clear(&self) {
        self.outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The most recent message sent to `to`, for tests and the demo ("read the code").
    pub fn last_to(&self, to: &E164) -> Option<OutboxEntry> {
        let outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        outbox.iter().rev().find(|e| &e.to == to).cloned()
    }

    fn record(&self, to: &E164, text: &str) -> Result<SmsReceipt, SmsError> {
        let encoded = encode_text(text, 0, false, self.max_parts)?;
        let id = format!("dev-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let at_unix_ms = now_unix_ms();
        tracing::info!(
            target: "ringlink_sms::dev",
            message_id = %id,
            to = %to,
            parts = encoded.parts.len(),
            "dev SMS (not sent; text in the outbox, never in logs: it may hold a code)"
        );
        let entry = OutboxEntry {
            message_id: id.clone(),
            to: to.clone(),
            text: text.to_owned(),
            encoding: encoded.encoding,
            parts: encoded.parts.len(),
            at_unix_ms,
        };
        {
            let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
            while outbox.len() >= self.capacity {
                outbox.pop_front();
            }
            outbox.push_back(entry);
        }
        // No subscriber is fine: nobody is waiting for receipts.
        let _ = self.reports.send(DeliveryReport {
            message_id: id.clone(),
            to: Some(to.clone()),
            state: DeliveryState::Delivered,
            error_code: None,
            at_unix_ms,
        });
        Ok(SmsReceipt {
            message_ids: vec![id],
            encoding: encoded.encoding,
        })
    }
}

impl Default for DevGateway {
    fn default() -> Self {
        Self::new(DEFAULT_OUTBOX_CAPACITY)
    }
}

impl SmsGateway for DevGateway {
    fn send(&self, to: &E164, text: &str) -> BoxFuture<'_, Result<SmsReceipt, SmsError>> {
        let result = self.record(to, text);
        Box::pin(async move { result })
    }

    fn delivery_reports(&self) -> broadcast::Receiver<DeliveryReport> {
        self.reports.subscribe()
    }

    fn kind(&self) -> &'static str {
        "dev"
    }

    fn as_dev(&self) -> Option<&DevGateway> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: u32) -> E164 {
        E164::new(&format!("+86138{n:08}")).expect("valid")
    }

    #[tokio::test]
    async fn outbox_keeps_the_newest_n() {
        // covers INBOX-5: the demo shows the temporary password in the dev outbox
        let gateway = DevGateway::new(3);
        let mut reports = gateway.delivery_reports();
        for i in 0..5 {
            let receipt = gateway
                .send(&number(i), &format!("code {i}"))
                .await
                .expect("dev send");
            assert_eq!(receipt.message_ids, vec![format!("dev-{}", i + 1)]);
        }
        let outbox = gateway.outbox();
        let texts: Vec<_> = outbox.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, vec!["code 4", "code 3", "code 2"]);
        assert_eq!(gateway.last_to(&number(3)).expect("kept").text, "code 3");
        assert!(gateway.last_to(&number(0)).is_none(), "oldest dropped");
        let first = reports.recv().await.expect("report");
        assert_eq!(first.message_id, "dev-1");
        assert_eq!(first.state, DeliveryState::Delivered);
        gateway.clear();
        assert!(gateway.outbox().is_empty());
    }

    /// A `tracing` writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    // covers #8 §4 /dev/outbox: verification codes never appear in logs
    #[test]
    fn the_dev_gateway_never_logs_the_text() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let gateway = DevGateway::new(4);
        tracing::subscriber::with_default(subscriber, || {
            gateway
                .record(&number(7), "Ringlink code 482913")
                .expect("dev send");
        });
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("dev SMS"), "the send is logged: {text}");
        assert!(
            !text.contains("482913"),
            "the code leaked into the log: {text}"
        );
        assert_eq!(gateway.outbox()[0].text, "Ringlink code 482913");
    }

    #[tokio::test]
    async fn dev_refuses_what_smpp_would() {
        let gateway = DevGateway::new(0);
        assert_eq!(gateway.capacity, 1, "capacity is at least one");
        assert_eq!(gateway.send(&number(1), "").await, Err(SmsError::EmptyText));
        let receipt = gateway.send(&number(1), "验证码 1234").await.expect("sent");
        assert_eq!(receipt.encoding, Encoding::Ucs2);
        let dyn_gateway: &dyn SmsGateway = &gateway;
        assert_eq!(dyn_gateway.kind(), "dev");
        assert_eq!(dyn_gateway.as_dev().expect("dev").outbox().len(), 1);
    }
}
