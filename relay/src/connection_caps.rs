//! How many connections the relay holds open: in total, and per client address. A connection
//! holds its [`Slot`] for its whole life, WebSocket included, and gives it back when it closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

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
        if open.total >= self.total {
            return Err(Refusal::Total);
        }
        if counted {
            let n = open.by_address.entry(ip).or_insert(0);
            if *n >= self.per_address {
                return Err(Refusal::PerAddress);
            }
            *n += 1;
        }
        open.total += 1;
        metrics::gauge!("ringlink_http_connections").set(open.total as f64);
        Ok(Slot {
            caps: self.clone(),
            ip: counted.then_some(ip),
        })
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
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        if let Some(ip) = self.ip {
            if let Some(n) = open.by_address.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    open.by_address.remove(&ip);
                }
            }
        }
        metrics::gauge!("ringlink_http_connections").set(open.total as f64);
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
        let _p2 = caps.admit(proxy).unwrap();
        assert_eq!(caps.admit(proxy).err(), Some(Refusal::Total));
        drop(a1);
        assert_eq!(caps.open(), 4);
        let _a3 = caps.admit(a).unwrap();
        assert_eq!(caps.open(), 5);
    }
}
