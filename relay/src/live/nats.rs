//! The bus of several relays, on NATS (`async-nats`): core subjects for publish and subscribe,
//! request/reply (NATS's no-responders status tells "not connected" at once). Cluster-wide claims,
//! presence and leases are rows in the shared database (`live::once`, `live::presence`,
//! `live::node`): async-nats 0.51's JetStream key-value
//! calls fail against Debian's nats-server 2.9.10 ("data did not match any variant of untagged
//! enum Response"), and the database is the source of truth anyway. No JetStream consumer per
//! conversation: NATS only fans out.

use std::time::Duration;

use async_nats::client::RequestErrorKind;
use axum::body::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{mpsc, oneshot};

use super::local::QUEUE;
use super::{Bus, BusError, Delivery, Frame, Replier, RequestError, Subject, Subscription};

/// The NATS [`Bus`]. Cheap to clone (one connection).
#[derive(Clone)]
pub struct NatsBus {
    client: async_nats::Client,
}

fn unavailable(e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

/// Ends the forwarding task (and so the NATS subscription) when the [`Subscription`] goes.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl NatsBus {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        let client = async_nats::connect(url).await.map_err(unavailable)?;
        Ok(Self { client })
    }

    async fn subscribe_now(&self, to: &Subject) -> Result<Subscription, BusError> {
        let mut sub = self
            .client
            .subscribe(to.nats())
            .await
            .map_err(unavailable)?;
        // The server has the subscription before anyone is told it exists.
        self.client.flush().await.map_err(unavailable)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let client = self.client.clone();
        let task = tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                // Frames are JSON text; anything else on a relay subject is not ours.
                let Ok(frame) = Frame::try_from(msg.payload) else {
                    continue;
                };
                let reply = msg.reply.map(|inbox| {
                    let (answer_tx, answer_rx) = oneshot::channel::<Frame>();
                    let client = client.clone();
                    tokio::spawn(async move {
                        if let Ok(answer) = answer_rx.await {
                            let _ = client.publish(inbox, Bytes::from(answer)).await;
                        }
                    });
                    Replier(answer_tx)
                });
                match tx.try_send(Delivery { frame, reply }) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        metrics::counter!("ringlink_live_frames_dropped_total").increment(1);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => break,
                }
            }
        });
        Ok(Subscription {
            rx,
            _unsubscribe: Box::new(AbortOnDrop(task)),
        })
    }

    async fn request_now(
        &self,
        to: &Subject,
        frame: Frame,
        wait: Duration,
    ) -> Result<Frame, RequestError> {
        let request = async_nats::Request::new()
            .payload(Bytes::from(frame))
            .timeout(Some(wait));
        match self.client.send_request(to.nats(), request).await {
            Ok(msg) => Frame::try_from(msg.payload)
                .map_err(|_| RequestError::Unavailable("the answer was not text".into())),
            Err(e) => Err(match e.kind() {
                RequestErrorKind::NoResponders => RequestError::NoResponders,
                RequestErrorKind::TimedOut => RequestError::Timeout(wait),
                _ => RequestError::Unavailable(e.to_string()),
            }),
        }
    }
}

impl Bus for NatsBus {
    fn publish<'a>(
        &'a self,
        to: &'a Subject,
        frame: Frame,
    ) -> BoxFuture<'a, Result<usize, BusError>> {
        async move {
            self.client
                .publish(to.nats(), Bytes::from(frame))
                .await
                .map_err(unavailable)?;
            Ok(0)
        }
        .boxed()
    }

    fn subscribe<'a>(&'a self, to: &'a Subject) -> BoxFuture<'a, Result<Subscription, BusError>> {
        self.subscribe_now(to).boxed()
    }

    fn request<'a>(
        &'a self,
        to: &'a Subject,
        frame: Frame,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Frame, RequestError>> {
        self.request_now(to, frame, wait).boxed()
    }
}
