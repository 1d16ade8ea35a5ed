//! How many connections the relay holds open: in total, and per client address. A connection
//! holds its [`Slot`] for its whole life, WebSocket included, and gives it back when it closes.
//! When the total is reached, the oldest connection that has not yet sent a whole request head
//! is cut to make room: slow heads from many addresses cannot lock everyone out.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use ipnet::IpNet;
use tokio_util::sync::CancellationToken;

/// Connections cut to make room leave the count at once but may take a moment to close their
/// sockets; at most this many may be closing, so the descriptors in use stay within the cap
/// plus this (well inside `FD_RESERVE`) even under a flood.
const MAX_CLOSING: usize = 128;

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Total,
    PerAddress,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Total => "total",
            Refusal::PerAddress => "per_address",
        }
    }
}

pub struct ConnectionCaps {
    total: usize,
    per_address: usize,
    /// Peers that are our own proxies: their connections count only toward the total.
    proxies: Vec<IpNet>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    /// Only addresses with an open connection: at most `total` entries.
    by_address: HashMap<IpAddr, usize>,
    /// Connections still waiting for their first request head, oldest first, with the token
    /// that cuts each.
    waiting: BTreeMap<u64, (CancellationToken, Option<IpAddr>)>,
    /// Connections cut to make room whose sockets are not closed yet.
    closing: usize,
    next_id: u64,
}

impl ConnectionCaps {
    pub fn new(total: usize, per_address: usize, proxies: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self {
            total,
            per_address,
            proxies,
            open: Mutex::new(Open::default()),
        })
    }

    /// The total cap in force.
    pub fn total(&self) -> usize {
        self.total
    }

    /// A slot for one more connection from `ip`, or why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let counted = !self.proxies.iter().any(|n| n.contains(&ip));
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if counted && open.by_address.get(&ip).copied().unwrap_or(0) >= self.per_address {
            return Err(Refusal::PerAddress);
        }
        let mut evicted = false;
        if open.total >= self.total {
            if open.closing >= MAX_CLOSING {
                return Err(Refusal::Total);
            }
            let Some((_, (oldest, oldest_ip))) = open.waiting.pop_first() else {
                return Err(Refusal::Total);
            };
            // Its place is free now; its slot, seeing the token cancelled, will not free it again.
            oldest.cancel();
            open.total -= 1;
            open.closing += 1;
            if let Some(ip) = oldest_ip {
                open.release_address(ip);
            }
            evicted = true;
        }
        if counted {
            *open.by_address.entry(ip).or_insert(0) += 1;
        }
        if evicted {
            metrics::counter!("ringlink_http_slow_heads_cut_total").increment(1);
        }
        open.total += 1;
        let id = open.next_id;
        open.next_id += 1;
        let cut = CancellationToken::new();
        open.waiting
            .insert(id, (cut.clone(), counted.then_some(ip)));
        metrics::gauge!("ringlink_http_connections").set(open.total as f64);
        Ok(Slot {
            caps: self.clone(),
            ip: counted.then_some(ip),
            id,
            cut,
        })
    }

    /// The connection `id` sent a whole request head: it is no longer cut to make room.
    pub fn head_received(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.waiting.remove(&id);
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

/// One admitted connection; dropping it frees the place.
pub struct Slot {
    caps: Arc<ConnectionCaps>,
    ip: Option<IpAddr>,
    id: u64,
    cut: CancellationToken,
}

impl Slot {
    /// Names the connection to [`ConnectionCaps::head_received`].
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Cancelled when the connection is cut to make room.
    pub fn cut(&self) -> CancellationToken {
        self.cut.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|e| e.into_inner());
        if self.cut.is_cancelled() {
            open.closing -= 1; // cut to make room: its place was given back then
            return;
        }
        open.total -= 1;
        open.waiting.remove(&self.id);
        if let Some(ip) = self.ip {
            open.release_address(ip);
        }
        metrics::gauge!("ringlink_http_connections").set(open.total as f64);
    }
}

impl Open {
    fn release_address(&mut self, ip: IpAddr) {
        if let Some(n) = self.by_address.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.by_address.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers #8 §4 slow requests: caps per address and in total
    #[test]
    fn caps_hold_per_address_and_in_total_and_free_on_close() {
        let caps = ConnectionCaps::new(5, 2, vec!["10.0.0.1/32".parse().unwrap()]);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let a1 = caps.admit(a).unwrap();
        let _a2 = caps.admit(a).unwrap();
        assert_eq!(caps.admit(a).err(), Some(Refusal::PerAddress));
        let _b1 = caps.admit(b).unwrap();
        // The proxy is not capped per address, only by the total.
        let _p1 = caps.admit(proxy).unwrap();
        let p2 = caps.admit(proxy).unwrap();
        for s in [&a1, &_a2, &_b1, &_p1, &p2] {
            caps.head_received(s.id());
        }
        // Full, and every connection has sent a request: nothing to cut.
        assert_eq!(caps.admit(proxy).err(), Some(Refusal::Total));
        drop(a1);
        assert_eq!(caps.open(), 4);
        let _a3 = caps.admit(a).unwrap();
        assert_eq!(caps.open(), 5);
    }

    // covers #8 §4 slow requests: slow heads from many addresses cannot fill the total
    #[test]
    fn when_full_the_oldest_slow_head_is_cut_to_make_room() {
        let caps = ConnectionCaps::new(3, 10, Vec::new());
        let ip = |i: u8| IpAddr::from([192, 0, 2, i]);
        let served = caps.admit(ip(1)).unwrap();
        caps.head_received(served.id());
        let slow1 = caps.admit(ip(2)).unwrap();
        let slow2 = caps.admit(ip(3)).unwrap();
        let fresh = caps.admit(ip(4)).expect("room made by cutting a slow head");
        assert!(slow1.cut().is_cancelled(), "the oldest slow head is cut");
        assert!(!slow2.cut().is_cancelled() && !served.cut().is_cancelled());
        assert!(!fresh.cut().is_cancelled());
        assert_eq!(caps.open(), 3);
        drop(slow1);
        assert_eq!(caps.open(), 3);
        drop(fresh);
        assert_eq!(caps.open(), 2);
    }
}
