//! `audit verify` and `audit export`: the audit log's hash chains checked, and the log
//! written out for a SIEM, from the command line.

use std::io::Write;

use super::counted;
use crate::audit::chain::ChainKey;
use crate::audit::export;
use crate::audit::verify::{self, Report};
use crate::clock::Millis;
use crate::config::{AuditCommand, ExportFormat};

/// Entries read per query while exporting.
const PAGE: i64 = 1000;

pub(crate) async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { store } => {
            let (store, keyring) = super::open_store(&store, false).await?;
            let keys = keyring
                .audit_chain_keys()
                .into_iter()
                .map(ChainKey::new)
                .collect();
            let report = verify::verify(&store, keys).await?;
            print!("{}", summary(&report));
            if !report.problems.is_empty() {
                anyhow::bail!(
                    "the audit log was tampered with: {} of {} broken",
                    report.problems.len(),
                    counted(report.chains, "chain", "chains")
                );
            }
        }
        AuditCommand::Export {
            since,
            until,
            format,
            store,
        } => {
            let now = super::clock().now();
            let since = export::parse_time(&since, now)?;
            let until = until
                .map(|u| export::parse_time(&u, now))
                .transpose()?
                .unwrap_or(now);
            let (store, _) = super::open_store(&store, false).await?;
            let line = match format {
                ExportFormat::Jsonl => export::jsonl,
                ExportFormat::Cef => export::cef,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut after = (Millis::MIN, 0);
            loop {
                let page = store.audit_export_page((since, until), after, PAGE).await?;
                for row in &page {
                    writeln!(out, "{}", line(row))?;
                }
                match page.last() {
                    Some(last) if page.len() as i64 == PAGE => after = (last.at, last.id),
                    _ => break,
                }
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// What `audit verify` prints: each broken chain's first problem, then the totals.
fn summary(report: &Report) -> String {
    let mut out = String::new();
    for problem in &report.problems {
        out.push_str(&format!("BROKEN: {problem}\n"));
    }
    let verdict = if report.problems.is_empty() {
        "Audit log intact"
    } else {
        "Audit log NOT intact"
    };
    out.push_str(&format!(
        "{verdict}: {}, {} checked",
        counted(report.chains, "chain", "chains"),
        counted(report.entries, "entry", "entries")
    ));
    if report.unchained > 0 {
        out.push_str(&format!(
            "; {} older entries carry no chain and were not checked",
            report.unchained
        ));
    }
    out.push_str(".\n");
    out
}
