//! The client's address behind trusted proxies: the right-most `X-Forwarded-For` hop the relay's
//! own proxies did not write, parsed as an IP address. Everything to its left was written by the
//! client and is ignored, so a client cannot choose the address its limits are counted under.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::http_config::HttpConfig;

/// At most this many `X-Forwarded-For` entries are looked at, from the right. A real chain has a
/// few proxies; walking a 60 KB header of fake hops would be work for nothing.
const MAX_HOPS_EXAMINED: usize = 16;

/// The address a request's limits are counted under.
pub fn client_ip(http: &HttpConfig, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer_ip = canonical(peer.ip());
    if !http.trusts_forwarded() {
        return peer_ip;
    }
    if !http.trusted_proxies.is_empty() && !trusted(&http.trusted_proxies, peer_ip) {
        return peer_ip; // not from our proxy: its header is the client's own words
    }
    // The chain as delivered: several headers are one list, in order.
    let mut hops: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else {
            return peer_ip;
        };
        for hop in value.rsplit(',') {
            hops.push(hop.trim());
            if hops.len() == MAX_HOPS_EXAMINED {
                break;
            }
        }
        if hops.len() == MAX_HOPS_EXAMINED {
            break;
        }
    }
    // `hops` runs right to left.
    if http.trusted_proxy_hops > 0 {
        // The peer is the last proxy; the other hops-1 proxies wrote the right-most entries.
        return hops
            .get(http.trusted_proxy_hops - 1)
            .and_then(|h| parse_hop(h))
            .unwrap_or(peer_ip);
    }
    for hop in hops {
        match parse_hop(hop) {
            Some(ip) if trusted(&http.trusted_proxies, ip) => continue,
            Some(ip) => return ip,
            None => return peer_ip,
        }
    }
    peer_ip
}

fn trusted(proxies: &[IpNet], ip: IpAddr) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// An `X-Forwarded-For` entry as an address: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`
/// or `203.0.113.7:51000` (some proxies append the port). Anything else is garbage.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// IPv4 clients on a dual-stack socket arrive as `::ffff:a.b.c.d`; count them as `a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(proxies: &[&str], hops: usize) -> HttpConfig {
        HttpConfig {
            trusted_proxies: proxies.iter().map(|p| p.parse().unwrap()).collect(),
            trusted_proxy_hops: hops,
            ..HttpConfig::default()
        }
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn peer(s: &str) -> SocketAddr {
        format!("{s}:40000").parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    // covers #8 §4 trust_forwarded_for: without trusted proxies the header is ignored
    #[test]
    fn without_trusted_proxies_the_socket_peer_is_the_client() {
        let got = client_ip(&cfg(&[], 0), peer("198.51.100.9"), &xff(&["1.2.3.4"]));
        assert_eq!(got, ip("198.51.100.9"));
    }

    // covers #8 §4 trust_forwarded_for: the client-written left part is ignored
    #[test]
    fn the_right_most_untrusted_hop_is_the_client_not_the_first() {
        let c = cfg(&["127.0.0.1/32", "10.0.0.0/8"], 0);
        // The client wrote "6.6.6.6"; nginx appended the real peer; an inner proxy its own.
        let h = xff(&["6.6.6.6, 203.0.113.7, 10.1.2.3"]);
        assert_eq!(client_ip(&c, peer("127.0.0.1"), &h), ip("203.0.113.7"));
        // Split over two headers it is the same chain.
        let h = xff(&["6.6.6.6", "203.0.113.7, 10.1.2.3"]);
        assert_eq!(client_ip(&c, peer("127.0.0.1"), &h), ip("203.0.113.7"));
    }

    // covers #8 §4 trust_forwarded_for: only the configured proxy's header is believed
    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let c = cfg(&["10.0.0.0/8"], 0);
        let got = client_ip(&c, peer("198.51.100.9"), &xff(&["1.2.3.4"]));
        assert_eq!(got, ip("198.51.100.9"));
    }

    // covers #8 §4 trust_forwarded_for: hop count
    #[test]
    fn a_hop_count_takes_that_many_entries_from_the_right() {
        let h = xff(&["6.6.6.6, 203.0.113.7, 192.0.2.1"]);
        assert_eq!(
            client_ip(&cfg(&[], 1), peer("127.0.0.1"), &h),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(&cfg(&[], 2), peer("127.0.0.1"), &h),
            ip("203.0.113.7")
        );
        // Fewer entries than proxies: the proxy chain is not what was configured.
        assert_eq!(
            client_ip(&cfg(&[], 5), peer("127.0.0.1"), &h),
            ip("127.0.0.1")
        );
    }

    // covers #8 §4 trust_forwarded_for: 60 KB fake addresses cannot become throttle keys
    #[test]
    fn garbage_and_huge_hops_fall_back_to_the_peer() {
        let c = cfg(&["127.0.0.1/32"], 0);
        let huge = "x".repeat(60_000);
        for bad in [huge.as_str(), "not-an-ip", "1.2.3.4.5", "", "unknown"] {
            let got = client_ip(&c, peer("127.0.0.1"), &xff(&[bad]));
            assert_eq!(got, ip("127.0.0.1"), "{:.20}", bad);
            let got = client_ip(&cfg(&[], 1), peer("127.0.0.1"), &xff(&[bad]));
            assert_eq!(got, ip("127.0.0.1"), "{:.20}", bad);
        }
        let many = vec!["9.9.9.9"; 10_000].join(",");
        let got = client_ip(&c, peer("127.0.0.1"), &xff(&[&many]));
        assert_eq!(got, ip("9.9.9.9"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let c = cfg(&["127.0.0.1/32"], 0);
        for (hop, want) in [
            ("203.0.113.7:51000", "203.0.113.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
        ] {
            assert_eq!(
                client_ip(&c, peer("127.0.0.1"), &xff(&[hop])),
                ip(want),
                "{hop}"
            );
        }
        // A mapped peer matches an IPv4 CIDR.
        let got = client_ip(
            &c,
            "[::ffff:127.0.0.1]:4000".parse().unwrap(),
            &xff(&["192.0.2.5"]),
        );
        assert_eq!(got, ip("192.0.2.5"));
    }
}
