//! The client address a request is judged by: the socket peer, unless the peer is a trusted
//! proxy, in which case the right-most `X-Forwarded-For` entry that is not itself trusted.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::values::IpList;

/// The client address of a request: [`client_ip`] over every `X-Forwarded-For` line, in order.
/// A proxy may add its own line rather than extend the client's, so reading only the first
/// line would let a client's forged value pass for the proxy's.
pub fn of_request(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &IpList) -> IpAddr {
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let joined = forwarded.join(",");
    client_ip(
        peer,
        (!forwarded.is_empty()).then_some(joined.as_str()),
        trusted_proxies,
    )
}

pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted_proxies: &IpList) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted_proxies.contains(peer) {
        // Anyone can write X-Forwarded-For; only a trusted proxy's word counts.
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(addr) => {
                client = addr.to_canonical();
                if !trusted_proxies.contains(client) {
                    break;
                }
            }
            // An unreadable entry ends what can be trusted.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_forwarded_line_counts_so_a_forged_first_line_loses() {
        let proxies = IpList::parse("10.0.0.0/8").unwrap();
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "192.168.1.5".parse().unwrap());
        headers.append("x-forwarded-for", "203.0.113.7".parse().unwrap());
        assert_eq!(
            of_request(ip("10.0.0.2"), &headers, &proxies),
            ip("203.0.113.7")
        );
        assert_eq!(
            of_request(ip("10.0.0.2"), &HeaderMap::new(), &proxies),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        let proxies = IpList::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("192.168.1.5"), &proxies),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_behind_trusted_proxies_is_the_client() {
        let proxies = IpList::parse("10.0.0.0/8").unwrap();
        let xff = "1.1.1.1, 198.51.100.7, 10.0.0.3";
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(xff), &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), Some("2001:db8::5"), &proxies),
            ip("2001:db8::5")
        );
        assert_eq!(client_ip(ip("10.0.0.2"), None, &proxies), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("junk, 10.0.0.9"), &proxies),
            ip("10.0.0.9")
        );
    }
}
