//! The production files in `deploy/` stay true to the binary: every variable the systemd unit
//! and the example settings set is one `serve` reads, and the unit starts `serve`.

use std::collections::BTreeSet;

use crate::cli::run_cli;

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/deploy/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `NAME=value` assignments of a settings text, commented-out examples included.
fn assigned(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.trim_start_matches(['#', ' ']))
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

#[tokio::test]
async fn the_systemd_unit_and_the_example_settings_name_only_what_serve_reads() {
    let dir = tempfile::tempdir().unwrap();
    let help = run_cli(dir.path(), &[], &["serve", "--help"], "").await;
    assert!(help.ok, "{}", help.stderr);
    let known: BTreeSet<String> = help
        .stdout
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_owned)
        .collect();
    assert!(known.contains("GATEWAY_TRUSTED_PROXIES"), "{known:?}");

    let unit = read("odoo-mcp-gateway.service");
    let environment: String = unit
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .collect::<Vec<_>>()
        .join("\n");
    let example = read("gateway.env.example");
    for name in assigned(&environment).union(&assigned(&example)) {
        assert!(known.contains(name), "{name} is not a setting of serve");
    }
    assert!(
        assigned(&example).len() >= 8,
        "the example shows the usual settings"
    );
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    assert_eq!(exec.split_whitespace().nth(1), Some("serve"), "{exec}");
    assert!(unit.contains("EnvironmentFile=/etc/odoo-mcp-gateway/gateway.env"));
    assert!(unit.contains("StateDirectory=odoo-mcp-gateway"));
}
