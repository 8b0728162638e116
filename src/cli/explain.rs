//! `connection explain`: the console's policy check on the command line — the decision for a
//! call, step by step, without calling Odoo. Exits 1 when the call would be refused.

use std::net::IpAddr;

use crate::config::StoreArgs;
use crate::connections;
use crate::policy::explain::{self, Question, Verdict};
use crate::settings;

pub(super) async fn run(
    id: i64,
    tool: Option<&str>,
    arguments: &str,
    request: Option<&str>,
    client_ip: Option<IpAddr>,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let (tool, arguments) =
        explain::read_call(tool.unwrap_or(""), arguments, request.unwrap_or(""))
            .map_err(anyhow::Error::msg)?;
    let (store, _) = super::open_store(args, false).await?;
    let connection = connections::get(&store, id).await?;
    let settings = settings::load(&store).await?;
    let odoo_uid = connections::odoo_uid(&store, &connection).await?;
    let explanation = explain::explain(&Question {
        connection: &connection,
        odoo_uid,
        settings: &settings,
        tool: &tool,
        arguments: &arguments,
        client_ip,
    });
    println!(
        "Policy check of {tool} for connection {id} ({}):",
        connection.name
    );
    let width = explanation
        .steps
        .iter()
        .map(|s| s.rule.len())
        .max()
        .unwrap_or(0);
    for step in &explanation.steps {
        println!(
            "  {:<width$}  {:<20}  {}",
            step.rule,
            step.verdict.label(),
            step.detail
        );
    }
    println!("{}", explanation.decision);
    let refused = explanation
        .decided_by()
        .is_some_and(|s| s.verdict == Verdict::Refused);
    if refused {
        anyhow::bail!("the call would be refused");
    }
    Ok(())
}
