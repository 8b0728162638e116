//! IP lists (Allowed IPs, Blocked IPs, trusted proxies): one IP or CIDR block per line, IPv4 and
//! IPv6, `#` comments. The text is kept as typed, comments included, so it reads back the same.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::{BadValue, decoded_from_text};

/// One parsed list. Addresses are kept as networks (a lone IP is a /32 or /128).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpList {
    nets: Vec<IpNet>,
    text: String,
}

/// A line that is neither an IP address nor a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line}: '{text}' is not an IP address or CIDR block (e.g. 192.168.1.0/24 or 2001:db8::/32)"
)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
}

impl IpList {
    /// Parses every line; all bad lines are reported, each with its 1-based number.
    pub fn parse(text: &str) -> Result<Self, Vec<BadLine>> {
        let mut nets = Vec::new();
        let mut bad = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let entry = raw.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            match parse_entry(entry) {
                Some(net) => nets.push(net),
                None => bad.push(BadLine {
                    line: i + 1,
                    text: entry.chars().take(60).collect(),
                }),
            }
        }
        if bad.is_empty() {
            let text = text.lines().map(str::trim_end).collect::<Vec<_>>();
            let text = text.join("\n").trim().to_owned();
            Ok(Self { nets, text })
        } else {
            Err(bad)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.nets.iter().any(|net| net.contains(&addr))
    }

    /// The list as typed (lines trimmed at the end), comments included.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

impl FromStr for IpList {
    type Err = BadValue;

    fn from_str(s: &str) -> Result<Self, BadValue> {
        Self::parse(s).map_err(|bad| {
            BadValue(
                bad.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

impl fmt::Display for IpList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

decoded_from_text!(IpList);

fn parse_entry(entry: &str) -> Option<IpNet> {
    if let Ok(net) = entry.parse::<IpNet>() {
        // `10.0.0.7/24` names a host inside a block; Odoo admins mean the block.
        return Some(canonical_net(net.trunc()));
    }
    entry
        .parse::<IpAddr>()
        .ok()
        .map(|ip| IpNet::from(ip.to_canonical()))
}

/// `::ffff:10.0.0.0/104` is the IPv4 block 10.0.0.0/8 written in IPv6.
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) => match v6.network().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4)
            }
            _ => net,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn list(s: &str) -> IpList {
        IpList::parse(s).unwrap()
    }

    #[test]
    fn parses_ips_cidrs_and_comments_in_both_families() {
        let l = list("# office\n192.168.1.0/24\n10.0.0.7  # vpn\n\n2001:db8::/32\n::1\n");
        assert!(l.contains(ip("192.168.1.255")));
        assert!(!l.contains(ip("192.168.2.0")), "just outside the /24");
        assert!(l.contains(ip("10.0.0.7")) && !l.contains(ip("10.0.0.8")));
        assert!(l.contains(ip("2001:db8:ffff::1")) && !l.contains(ip("2001:db9::1")));
        assert!(l.contains(ip("::1")));
    }

    #[test]
    fn the_text_is_kept_as_typed_with_line_ends_normalised() {
        let l = list("10.0.0.0/8 # office  \r\n2001:db8::/32\n\n");
        assert_eq!(l.as_text(), "10.0.0.0/8 # office\n2001:db8::/32");
        assert_eq!(l.to_string().parse::<IpList>().unwrap(), l);
    }

    #[test]
    fn every_bad_line_is_named_with_its_number() {
        let err = IpList::parse("10.0.0.1\nnot-an-ip\n192.168.1.0/33\n\n300.1.1.1").unwrap_err();
        let lines: Vec<usize> = err.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert!(
            err[0]
                .to_string()
                .starts_with("line 2: 'not-an-ip' is not an IP address")
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_match_ipv4_rules() {
        let l = list("192.168.1.0/24");
        assert!(l.contains(ip("::ffff:192.168.1.20")));
        let mapped = list("::ffff:10.0.0.0/104");
        assert!(mapped.contains(ip("10.1.2.3")));
    }
}
