//! The bus of one relay process: subscribers in a map, frames handed to each subscriber's
//! bounded queue. hub.rs's rules carry over: the senders are copied under the lock and sent to
//! outside it; a subscriber whose queue is full has that frame dropped and counted (its socket's
//! heartbeat will fail), so one slow socket never holds up the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use super::{Bus, BusError, Delivery, Frame, Replier, RequestError, Subject, Subscription};

/// Deliveries queued for one subscription: hub.rs's outbox size. A socket this far behind is
/// too slow to serve.
pub const QUEUE: usize = 256;

struct Sub {
    id: u64,
    tx: mpsc::Sender<Delivery>,
}

#[derive(Default)]
struct Inner {
    subs: Mutex<HashMap<Subject, Vec<Sub>>>,
    next_id: AtomicU64,
    dropped: AtomicU64,
}

/// The in-process [`Bus`].
#[derive(Clone, Default)]
pub struct LocalBus {
    inner: Arc<Inner>,
}

/// Removes its subscription from the map when the [`Subscription`] is dropped.
struct Unsubscribe {
    inner: Arc<Inner>,
    subject: Subject,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut subs = self.inner.subs.lock().expect("bus lock");
        if let Some(list) = subs.get_mut(&self.subject) {
            list.retain(|s| s.id != self.id);
            if list.is_empty() {
                subs.remove(&self.subject);
            }
        }
    }
}

impl LocalBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Frames dropped because a subscriber's queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Subjects with at least one subscriber.
    pub fn subjects(&self) -> usize {
        self.inner.subs.lock().expect("bus lock").len()
    }

    fn senders(&self, to: &Subject) -> Vec<mpsc::Sender<Delivery>> {
        let subs = self.inner.subs.lock().expect("bus lock");
        subs.get(to)
            .map(|l| l.iter().map(|s| s.tx.clone()).collect())
            .unwrap_or_default()
    }

    fn publish_now(&self, to: &Subject, frame: Frame) -> usize {
        let mut sent = 0;
        for tx in self.senders(to) {
            let d = Delivery {
                frame: frame.clone(),
                reply: None,
            };
            match tx.try_send(d) {
                Ok(()) => sent += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("ringlink_live_frames_dropped_total").increment(1);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        sent
    }

    fn subscribe_now(&self, to: &Subject) -> Subscription {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.inner
            .subs
            .lock()
            .expect("bus lock")
            .entry(to.clone())
            .or_default()
            .push(Sub { id, tx });
        Subscription {
            rx,
            _unsubscribe: Box::new(Unsubscribe {
                inner: self.inner.clone(),
                subject: to.clone(),
                id,
            }),
        }
    }

    async fn request_now(
        &self,
        to: &Subject,
        frame: Frame,
        wait: Duration,
    ) -> Result<Frame, RequestError> {
        let senders = self.senders(to);
        if senders.iter().all(mpsc::Sender::is_closed) {
            return Err(RequestError::NoResponders);
        }
        // The most recent subscriber first (the phone connected last); one that is too far
        // behind is passed over for the one before it.
        let (reply_tx, reply_rx) = oneshot::channel();
        let mut delivery = Delivery {
            frame,
            reply: Some(Replier(reply_tx)),
        };
        let mut taken = false;
        for tx in senders.iter().rev() {
            match tx.try_send(delivery) {
                Ok(()) => {
                    taken = true;
                    break;
                }
                Err(mpsc::error::TrySendError::Full(d) | mpsc::error::TrySendError::Closed(d)) => {
                    delivery = d
                }
            }
        }
        if !taken {
            return Err(RequestError::Timeout(Duration::ZERO));
        }
        match tokio::time::timeout(wait, reply_rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) | Err(_) => Err(RequestError::Timeout(wait)),
        }
    }
}

impl Bus for LocalBus {
    fn publish<'a>(
        &'a self,
        to: &'a Subject,
        frame: Frame,
    ) -> BoxFuture<'a, Result<usize, BusError>> {
        let sent = self.publish_now(to, frame);
        async move { Ok(sent) }.boxed()
    }

    fn subscribe<'a>(&'a self, to: &'a Subject) -> BoxFuture<'a, Result<Subscription, BusError>> {
        let sub = self.subscribe_now(to);
        async move { Ok(sub) }.boxed()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn f(s: &str) -> Frame {
        Frame::from(s.to_owned())
    }

    // covers #10 §1 bus: a publish reaches every subscriber; dropping one unsubscribes it
    #[tokio::test]
    async fn publish_fans_out_and_a_dropped_subscription_is_gone() {
        let bus = LocalBus::new();
        let to = Subject::WidgetsOf(1);
        let mut a = bus.subscribe(&to).await.unwrap();
        let b = bus.subscribe(&to).await.unwrap();
        assert_eq!(bus.publish(&to, f("x")).await.unwrap(), 2);
        assert_eq!(a.next().await.unwrap().frame.as_str(), "x");
        drop(b);
        assert_eq!(bus.publish(&to, f("y")).await.unwrap(), 1);
        drop(a);
        assert_eq!(bus.subjects(), 0, "an empty subject leaves the map");
        assert_eq!(
            bus.publish(&Subject::WidgetsOf(2), f("z")).await.unwrap(),
            0
        );
    }

    // covers #10 §1 bus: "not connected" is known at once; the newest subscriber answers
    #[tokio::test]
    async fn a_request_goes_to_the_newest_subscriber_or_says_no_one_is_there() {
        let bus = LocalBus::new();
        let to = Subject::AgentsOf(9);
        let start = Instant::now();
        let e = bus.request(&to, f("dial"), Duration::from_secs(5)).await;
        assert_eq!(e, Err(RequestError::NoResponders));
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "at once, not after the wait"
        );

        let mut old = bus.subscribe(&to).await.unwrap();
        let mut new = bus.subscribe(&to).await.unwrap();
        let answering = tokio::spawn(async move {
            let d = new.next().await.unwrap();
            assert_eq!(d.frame.as_str(), "dial");
            d.reply.unwrap().answer(f("ringing"));
            new
        });
        let answer = bus.request(&to, f("dial"), Duration::from_secs(5)).await;
        assert_eq!(answer.unwrap().as_str(), "ringing");
        let _new = answering.await.unwrap();
        assert!(old.rx.try_recv().is_err(), "the older phone was not asked");

        // A subscriber that never answers: the wait ends, it does not hang.
        let quiet = Subject::AgentsOf(10);
        let _sub = bus.subscribe(&quiet).await.unwrap();
        let e = bus
            .request(&quiet, f("dial"), Duration::from_millis(50))
            .await;
        assert_eq!(e, Err(RequestError::Timeout(Duration::from_millis(50))));
    }

    // covers #10 §1 bus: a slow subscriber loses frames, counted; the others get every one
    #[tokio::test]
    async fn a_slow_subscriber_does_not_hold_up_the_others() {
        let bus = LocalBus::new();
        let to = Subject::WidgetsOf(3);
        let _slow = bus.subscribe(&to).await.unwrap();
        let mut quick = bus.subscribe(&to).await.unwrap();
        let total = QUEUE + 10;
        let mut got = 0;
        for i in 0..total {
            bus.publish(&to, f(&i.to_string())).await.unwrap();
            if quick.rx.try_recv().is_ok() {
                got += 1;
            }
        }
        assert_eq!(got, total, "the reading subscriber got every frame");
        assert_eq!(
            bus.dropped(),
            10,
            "the slow one's overflow was dropped and counted"
        );
    }
}
