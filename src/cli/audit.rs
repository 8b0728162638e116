//! `audit verify`: the audit log's hash chains checked from the command line.

use crate::audit::chain::ChainKey;
use crate::audit::verify::{self, Report};
use crate::config::AuditCommand;

pub(crate) async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { store } => {
            let (store, keyring) = super::open_store(&store, false).await?;
            let report = verify::verify(&store, ChainKey::new(keyring.audit_chain_key())).await?;
            print!("{}", summary(&report));
            if !report.problems.is_empty() {
                anyhow::bail!(
                    "the audit log was tampered with: {} of {} chains are broken",
                    report.problems.len(),
                    report.chains
                );
            }
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
        "{verdict}: {} chains, {} entries checked",
        report.chains, report.entries
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
