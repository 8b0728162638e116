//! `audit verify`'s walk over every writer's chain: each entry's hash recomputed, each link
//! and sequence number followed from the chain's start or its retention checkpoint, and the
//! first problem of each broken chain reported with the entry's id, writer and time.

use std::collections::HashMap;
use std::fmt;

use super::chain::{ChainKey, Head};
use crate::clock::{Millis, format_utc_ms};
use crate::store::{self, AuditCheckpoint, AuditRow, Store};

/// Entries read per query.
const PAGE: i64 = 1000;

/// What broke a chain, at the first entry where it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's content (or its place) is not what was hashed: it was edited.
    Altered(Place),
    /// Entries are missing before this one: its sequence number skips `expected`… .
    Missing { place: Place, expected: i64 },
    /// The sequence runs on, but the entry does not follow the hash before it: the entry
    /// before it (or the checkpoint) was replaced.
    Unlinked(Place),
}

/// Where a problem shows: the entry's id, writer, sequence number and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub id: i64,
    pub writer: String,
    pub seq: i64,
    pub at: Millis,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {} (writer {}, #{}, {})",
            self.id,
            self.writer,
            self.seq,
            format_utc_ms(self.at)
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered(place) => {
                write!(
                    f,
                    "{place} was altered: its hash does not match its content"
                )
            }
            Self::Missing { place, expected } if place.seq - 1 == *expected => write!(
                f,
                "entry #{expected} of writer {} is missing (deleted), just before {place}",
                place.writer
            ),
            Self::Missing { place, expected } => write!(
                f,
                "entries #{expected}–#{} of writer {} are missing (deleted), just before {place}",
                place.seq - 1,
                place.writer
            ),
            Self::Unlinked(place) => write!(
                f,
                "{place} does not follow the entry before it: that entry was replaced"
            ),
        }
    }
}

/// The outcome of a walk over every chain.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub chains: u64,
    pub entries: u64,
    /// Entries from before the chain existed, which nothing can vouch for.
    pub unchained: i64,
    /// The first problem of each broken chain, in chain order.
    pub problems: Vec<Problem>,
}

/// Checks entries fed in chain order (writer by writer, each by sequence), starting each
/// chain at its checkpoint when the retention job cut it.
#[derive(Debug)]
pub struct Verifier {
    /// The current key first, then the previous ones: each chain was written under one of them.
    keys: Vec<ChainKey>,
    checkpoints: HashMap<String, Head>,
    /// The chain being walked: its writer, its key, its head so far, and whether it already broke.
    current: Option<(String, usize, Head, bool)>,
    report: Report,
}

impl Verifier {
    pub fn new(keys: Vec<ChainKey>, checkpoints: Vec<AuditCheckpoint>) -> Self {
        let checkpoints = checkpoints
            .into_iter()
            .map(|c| {
                (
                    c.writer,
                    Head {
                        seq: c.seq,
                        hash: c.hash,
                    },
                )
            })
            .collect();
        Self {
            keys,
            checkpoints,
            current: None,
            report: Report::default(),
        }
    }

    pub fn check(&mut self, row: &AuditRow) {
        let writer = row.writer.clone().unwrap_or_default();
        let seq = row.seq.unwrap_or_default();
        let prev = row.prev_hash.as_deref().unwrap_or_default();
        if self.current.as_ref().is_none_or(|(w, ..)| *w != writer) {
            let start = self
                .checkpoints
                .get(&writer)
                .cloned()
                .unwrap_or_else(Head::genesis);
            // A writer chains under the key current when it started: the one its first entry
            // verifies under (else the current key, which then names the entry altered).
            let key = self
                .keys
                .iter()
                .position(|k| row.hash.as_deref() == Some(&k.hash(row, &writer, seq, prev)[..]))
                .unwrap_or(0);
            self.current = Some((writer.clone(), key, start, false));
            self.report.chains += 1;
        }
        self.report.entries += 1;
        let Some((_, key, head, broken)) = self.current.as_mut() else {
            return;
        };
        if *broken {
            return;
        }
        let place = Place {
            id: row.id,
            writer: writer.clone(),
            seq,
            at: row.at,
        };
        let hash = self.keys[*key].hash(row, &writer, seq, prev);
        let problem = if row.hash.as_deref() != Some(hash.as_slice()) {
            Some(Problem::Altered(place))
        } else if seq != head.seq + 1 {
            Some(Problem::Missing {
                place,
                expected: head.seq + 1,
            })
        } else if prev != head.hash.as_slice() {
            Some(Problem::Unlinked(place))
        } else {
            None
        };
        match problem {
            Some(p) => {
                self.report.problems.push(p);
                *broken = true;
            }
            None => {
                *head = Head {
                    seq,
                    hash: hash.to_vec(),
                }
            }
        }
    }

    pub fn finish(self) -> Report {
        self.report
    }
}

/// Walks every chain in `store` (a page at a time, so a large log is not held in memory).
pub async fn verify(store: &Store, keys: Vec<ChainKey>) -> Result<Report, store::Error> {
    let mut verifier = Verifier::new(keys, store.audit_checkpoints().await?);
    let mut after = (String::new(), 0);
    loop {
        let page = store.audit_chain_page((&after.0, after.1), PAGE).await?;
        for row in &page {
            verifier.check(row);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => {
                after = (
                    last.writer.clone().unwrap_or_default(),
                    last.seq.unwrap_or_default(),
                );
            }
            _ => break,
        }
    }
    let mut report = verifier.finish();
    report.unchained = store.count_unchained_audit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::chain::Chain;
    use crate::audit::chain::fixtures::{key, row};

    #[test]
    fn a_linked_batch_verifies_and_each_tampering_is_named() {
        let mut chain = Chain::new(key());
        let mut first = vec![row(1, "a"), row(2, "b")];
        let head = chain.link(&mut first);
        assert_eq!(head.seq, 2);
        chain.advance(head);
        let mut second = vec![row(3, "c"), row(4, "d")];
        // Linking again before advancing links the same.
        let again = chain.link(&mut second.clone());
        let linked = chain.link(&mut second);
        assert_eq!(again, linked);
        chain.advance(linked);
        let mut rows: Vec<AuditRow> = first.into_iter().chain(second).collect();
        for (i, r) in rows.iter_mut().enumerate() {
            r.id = i as i64 + 1;
        }
        let run = |rows: &[AuditRow], checkpoints| {
            let mut v = Verifier::new(vec![key()], checkpoints);
            rows.iter().for_each(|r| v.check(r));
            v.finish()
        };
        let intact = run(&rows, vec![]);
        assert_eq!((intact.chains, intact.entries), (1, 4));
        assert!(intact.problems.is_empty(), "{:?}", intact.problems);

        let mut edited = rows.clone();
        edited[2].outcome = "denied".into();
        let report = run(&edited, vec![]);
        assert!(
            matches!(&report.problems[..], [Problem::Altered(p)] if p.id == 3 && p.seq == 3),
            "{:?}",
            report.problems
        );

        let gap = [&rows[..1], &rows[2..]].concat();
        let report = run(&gap, vec![]);
        assert!(
            matches!(&report.problems[..], [Problem::Missing { place, expected: 2 }] if place.id == 3),
            "{:?}",
            report.problems
        );
        assert!(report.problems[0].to_string().contains("#2 of writer"));

        // Cut by retention after #2: fine from its checkpoint, missing without it.
        let writer = rows[0].writer.clone().unwrap();
        let checkpoint = AuditCheckpoint {
            writer,
            seq: 2,
            hash: rows[1].hash.clone().unwrap(),
            at: 2,
        };
        assert!(
            run(&rows[2..], vec![checkpoint.clone()])
                .problems
                .is_empty()
        );
        assert_eq!(run(&rows[2..], vec![]).problems.len(), 1);
        let forged = AuditCheckpoint {
            hash: vec![7; 32],
            ..checkpoint
        };
        assert!(matches!(
            &run(&rows[2..], vec![forged]).problems[..],
            [Problem::Unlinked(p)] if p.id == 3
        ));
    }
}
