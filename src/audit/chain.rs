//! The audit log's hash chain: the canonical encoding of an entry (version 1), and the keyed
//! hash that links each entry to the one before it from the same writer ([`super::verify`]
//! walks the chains).
//!
//! Encoding v1, hashed with HMAC-SHA256 under a key derived from the server's secret key: the
//! label `omg-audit-chain-v1`, then each field in this order — writer, seq, at, method, tool,
//! model, user_login, connection_id, client_ip, outcome, duration_ms, error, request_payload,
//! response_payload, prev_hash — as one tag byte and a body: `0` absent (no body), `1` text
//! (length as 8 bytes big-endian, then the UTF-8 bytes), `2` integer (8 bytes big-endian,
//! two's complement), `3` bytes (length, then the bytes). Tags and lengths make the encoding
//! unambiguous: no two different entries encode alike. The row `id` is not covered: the
//! database assigns it after the hash is made, and the chain's order is (writer, seq).
//!
//! Columns added after v1 (`rule`, `trace_id`, in [`NEWER`]'s order) follow `prev_hash`, each
//! only when it is set: tag `4`, the column's place in [`NEWER`] as one byte, then its text as
//! above. An entry with none of them set encodes exactly as v1 did, so entries written before
//! the columns existed still verify; a set one cannot be removed or moved unnoticed.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::store::AuditRow;

/// What every v1 encoding starts with; a later encoding gets a new label.
const LABEL: &[u8] = b"omg-audit-chain-v1";
/// The `prev_hash` of a chain's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// A chain's HMAC key (from [`crate::secrets::Keyring::audit_chain_key`]).
#[derive(Clone)]
pub struct ChainKey(Hmac<Sha256>);

impl ChainKey {
    pub fn new(key: Hmac<Sha256>) -> Self {
        Self(key)
    }

    /// The hash of `row` as entry `seq` of `writer`, following `prev`.
    pub fn hash(&self, row: &AuditRow, writer: &str, seq: i64, prev: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(&encode(row, writer, seq, prev));
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

/// The canonical v1 bytes of an entry (see the module's documentation).
pub fn encode(row: &AuditRow, writer: &str, seq: i64, prev: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        256 + row.request_payload.as_ref().map_or(0, String::len)
            + row.response_payload.as_ref().map_or(0, String::len),
    );
    out.extend_from_slice(LABEL);
    let text = |out: &mut Vec<u8>, value: Option<&str>| match value {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&(t.len() as u64).to_be_bytes());
            out.extend_from_slice(t.as_bytes());
        }
    };
    let integer = |out: &mut Vec<u8>, value: Option<i64>| match value {
        None => out.push(0),
        Some(n) => {
            out.push(2);
            out.extend_from_slice(&n.to_be_bytes());
        }
    };
    text(&mut out, Some(writer));
    integer(&mut out, Some(seq));
    integer(&mut out, Some(row.at));
    text(&mut out, Some(&row.method));
    text(&mut out, row.tool.as_deref());
    text(&mut out, row.model.as_deref());
    text(&mut out, row.user_login.as_deref());
    integer(&mut out, row.connection_id);
    text(&mut out, row.client_ip.as_deref());
    text(&mut out, Some(&row.outcome));
    integer(&mut out, Some(row.duration_ms));
    text(&mut out, row.error.as_deref());
    text(&mut out, row.request_payload.as_deref());
    text(&mut out, row.response_payload.as_deref());
    out.push(3);
    out.extend_from_slice(&(prev.len() as u64).to_be_bytes());
    out.extend_from_slice(prev);
    for (place, value) in newer(row).into_iter().enumerate() {
        if let Some(value) = value {
            out.push(4);
            out.push(place as u8);
            text(&mut out, Some(value));
        }
    }
    out
}

/// The columns added after v1, in their fixed order (see the module's documentation).
pub const NEWER: [&str; 2] = ["rule", "trace_id"];

fn newer(row: &AuditRow) -> [Option<&str>; NEWER.len()] {
    [row.rule.as_deref(), row.trace_id.as_deref()]
}

/// One writer's end of its chain: its id (random per process, so replicas never share a
/// chain), the last sequence number and hash it committed.
#[derive(Debug)]
pub struct Chain {
    key: ChainKey,
    writer: String,
    head: Head,
}

/// A chain's last link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl Head {
    /// Where every chain starts: before entry 1, after [`GENESIS`].
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_vec(),
        }
    }
}

impl Chain {
    pub fn new(key: ChainKey) -> Self {
        Self {
            key,
            // Time-ordered, so `audit verify` lists a gateway's chains in the order they began.
            writer: uuid::Uuid::now_v7().to_string(),
            head: Head::genesis(),
        }
    }

    pub fn writer(&self) -> &str {
        &self.writer
    }

    /// Links `batch` after the head, returning the head after it. The head itself moves only
    /// by [`Chain::advance`], so linking is repeatable.
    pub fn link(&self, batch: &mut [AuditRow]) -> Head {
        let mut head = self.head.clone();
        for row in batch {
            let seq = head.seq + 1;
            let hash = self.key.hash(row, &self.writer, seq, &head.hash);
            row.writer = Some(self.writer.clone());
            row.seq = Some(seq);
            row.prev_hash = Some(std::mem::replace(&mut head.hash, hash.to_vec()));
            row.hash = Some(hash.to_vec());
            head.seq = seq;
        }
        head
    }

    pub fn advance(&mut self, head: Head) {
        self.head = head;
    }
}

/// A key and entries for the chain's tests (here and in `verify`).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::clock::Millis;
    use hmac::KeyInit;

    pub(crate) fn key() -> ChainKey {
        ChainKey::new(Hmac::new_from_slice(b"test key").unwrap())
    }

    pub(crate) fn row(at: Millis, method: &str) -> AuditRow {
        AuditRow {
            at,
            method: method.into(),
            outcome: "success".into(),
            ..AuditRow::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{key, row};
    use super::*;
    use hmac::KeyInit;

    #[test]
    fn the_encoding_is_fixed_and_tells_absent_from_empty() {
        let mut r = row(1, "tools/call");
        r.tool = Some(String::new());
        let bytes = encode(&r, "w", 2, &[9]);
        let mut expected = LABEL.to_vec();
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 1, b'w']);
        expected.extend([2, 0, 0, 0, 0, 0, 0, 0, 2]);
        expected.extend([2, 0, 0, 0, 0, 0, 0, 0, 1]);
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 10]);
        expected.extend(b"tools/call");
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 0]); // tool: empty text
        expected.extend([0, 0, 0, 0]); // model, user_login, connection_id, client_ip
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0, 7]);
        expected.extend(b"success");
        expected.extend([2, 0, 0, 0, 0, 0, 0, 0, 0]); // duration_ms
        expected.extend([0, 0, 0]); // error, request_payload, response_payload
        expected.extend([3, 0, 0, 0, 0, 0, 0, 0, 1, 9]);
        assert_eq!(bytes, expected);
        r.tool = None;
        assert_ne!(encode(&r, "w", 2, &[9]), bytes);
    }

    #[test]
    fn newer_columns_follow_v1_only_when_set() {
        let mut r = row(1, "tools/call");
        let v1 = encode(&r, "w", 1, &GENESIS);
        r.trace_id = Some("ab".into());
        let mut expected = v1.clone();
        expected.extend([4, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
        assert_eq!(encode(&r, "w", 1, &GENESIS), expected);
        // The same text as the rule instead encodes apart from it as the trace id.
        let mut moved = row(1, "tools/call");
        moved.rule = Some("ab".into());
        assert_ne!(encode(&moved, "w", 1, &GENESIS), expected);
        assert!(encode(&moved, "w", 1, &GENESIS).starts_with(&v1));
    }

    #[test]
    fn fields_cannot_trade_bytes() {
        let mut a = row(1, "m");
        a.tool = Some("ab".into());
        a.model = Some("c".into());
        let mut b = a.clone();
        b.tool = Some("a".into());
        b.model = Some("bc".into());
        assert_ne!(encode(&a, "w", 1, &GENESIS), encode(&b, "w", 1, &GENESIS));
        assert_ne!(
            key().hash(&a, "w", 1, &GENESIS),
            key().hash(&b, "w", 1, &GENESIS)
        );
    }

    #[test]
    fn every_field_is_covered() {
        let base = AuditRow {
            tool: Some("t".into()),
            model: Some("m".into()),
            user_login: Some("u".into()),
            connection_id: Some(3),
            client_ip: Some("127.0.0.1".into()),
            error: Some("e".into()),
            request_payload: Some("{}".into()),
            response_payload: Some("[]".into()),
            rule: Some("ip".into()),
            ..row(5, "tools/call")
        };
        let edits: Vec<fn(&mut AuditRow)> = vec![
            |r| r.at += 1,
            |r| r.method.push('x'),
            |r| r.tool = None,
            |r| r.model = Some("n".into()),
            |r| r.user_login = None,
            |r| r.connection_id = Some(4),
            |r| r.client_ip = None,
            |r| r.outcome = "denied".into(),
            |r| r.duration_ms = 1,
            |r| r.error = None,
            |r| r.request_payload = Some("{ }".into()),
            |r| r.response_payload = None,
            |r| r.rule = None,
            |r| r.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4737".into()),
        ];
        let original = key().hash(&base, "w", 1, &GENESIS);
        for (i, edit) in edits.iter().enumerate() {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(key().hash(&changed, "w", 1, &GENESIS), original, "edit {i}");
        }
        assert_ne!(key().hash(&base, "v", 1, &GENESIS), original);
        assert_ne!(key().hash(&base, "w", 2, &GENESIS), original);
        assert_ne!(key().hash(&base, "w", 1, &[1; 32]), original);
        let other = ChainKey::new(Hmac::new_from_slice(b"another key").unwrap());
        assert_ne!(other.hash(&base, "w", 1, &GENESIS), original);
    }
}
