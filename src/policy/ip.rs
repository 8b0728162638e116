//! IP restrictions: whether a client address may use a connection, given its Allowed and
//! Blocked lists.

use std::net::IpAddr;

use crate::values::IpList;

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpRefusal {
    #[error("Requests from this address are blocked for this connection.")]
    Blocked,
    #[error("This connection does not accept requests from this address.")]
    NotAllowed,
}

/// Blocked wins, even with an empty allow list; a non-empty allow list admits only its members.
pub fn check(addr: IpAddr, allowed: &IpList, blocked: &IpList) -> Result<(), IpRefusal> {
    if blocked.contains(addr) {
        return Err(IpRefusal::Blocked);
    }
    if !allowed.is_empty() && !allowed.contains(addr) {
        return Err(IpRefusal::NotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocked_wins_and_a_non_empty_allow_list_is_exclusive() {
        let none = IpList::default();
        let office: IpList = "192.168.1.0/24".parse().unwrap();
        let intern: IpList = "192.168.1.66".parse().unwrap();
        assert_eq!(check(ip("8.8.8.8"), &none, &none), Ok(()));
        assert_eq!(
            check(ip("192.168.1.66"), &none, &intern),
            Err(IpRefusal::Blocked)
        );
        assert_eq!(
            check(ip("192.168.1.66"), &office, &intern),
            Err(IpRefusal::Blocked)
        );
        assert_eq!(check(ip("192.168.1.5"), &office, &intern), Ok(()));
        assert_eq!(
            check(ip("192.168.2.5"), &office, &none),
            Err(IpRefusal::NotAllowed)
        );
    }
}
