//! The dial log writer: records of dial intents and their states reach the database through one
//! ordered queue, written in batches off the request path. A dial's round trip never waits for
//! the disk (the sqlx SQLite worker hop and its context switches dominated the dial profile).
//! Retries of a dial (same client id) are answered from memory (`dial_ids`), not from here.

use tokio::sync::{mpsc, oneshot};

use crate::store::Store;

/// Operations queued before the writer stops taking more: a second of dialling at 2k/s fits
/// many times over; past it, writes happen inline (slower, nothing lost).
const QUEUE: usize = 65_536;
/// At most this many operations per transaction.
const BATCH: usize = 512;

/// One write to the dial log.
#[derive(Debug, Clone)]
pub enum LogOp {
    Insert {
        public_id: String,
        member_id: i64,
        device: String,
        number: String,
        client_id: Option<String>,
        at: i64,
    },
    State {
        public_id: String,
        state: &'static str,
        detail: Option<String>,
        at: i64,
    },
}

enum Cmd {
    Op(LogOp),
    /// Reply once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

pub struct DialLog {
    tx: mpsc::Sender<Cmd>,
    store: Store,
}

impl DialLog {
    /// Starts the writer task.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(store.clone(), rx));
        Self { tx, store }
    }

    /// Queues a write; if the queue is full, writes it now.
    pub async fn record(&self, op: LogOp) {
        if let Err(
            mpsc::error::TrySendError::Full(Cmd::Op(op))
            | mpsc::error::TrySendError::Closed(Cmd::Op(op)),
        ) = self.tx.try_send(Cmd::Op(op))
        {
            if let Err(e) = self.store.write_dial_log(std::slice::from_ref(&op)).await {
                tracing::error!("dial log write failed: {e}");
            }
        }
    }

    /// Waits until everything queued so far is in the database (shutdown, tests).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Cmd::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Cmd>) {
    let mut ops = Vec::with_capacity(BATCH);
    let mut acks = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Cmd::Op(op) => ops.push(op),
                Cmd::Flush(ack) => acks.push(ack),
            }
            if ops.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !ops.is_empty() {
            if let Err(e) = store.write_dial_log(&ops).await {
                tracing::error!("dial log batch of {} failed: {e}", ops.len());
            }
            ops.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}
