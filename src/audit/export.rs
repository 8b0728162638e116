//! `audit export`'s formats: one JSON object a line (JSONL), or ArcSight Common Event Format
//! (CEF) with its escaping, and the `--since`/`--until` times (RFC 3339, or a duration ago).

use std::fmt::Write as _;

use serde_json::json;

use crate::clock::Millis;
use crate::store::AuditRow;

/// A time `audit export` cannot read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "'{0}' is not a time: give an RFC 3339 time (2026-12-01T00:00:00Z) or a duration ago \
         (30m, 24h, 7d)"
    )]
    BadTime(String),
}

/// `text` as a time: an RFC 3339 time, or a whole number of `s`, `m`, `h` or `d` before `now`.
pub fn parse_time(text: &str, now: Millis) -> Result<Millis, Error> {
    let bad = || Error::BadTime(text.to_owned());
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let unit_ms: Millis = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    let n: Millis = number.parse().ok().filter(|n| *n >= 0).ok_or_else(bad)?;
    n.checked_mul(unit_ms)
        .and_then(|ago| now.checked_sub(ago))
        .ok_or_else(bad)
}

fn hex(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(|b| {
        b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
    })
}

/// One entry as a JSON object on one line (every stored column; hashes in hex).
pub fn jsonl(row: &AuditRow) -> String {
    entry(row).to_string()
}

/// One entry as a JSON object: every stored column, hashes in hex (JSONL's lines, the audit
/// stream's entries).
pub fn entry(row: &AuditRow) -> serde_json::Value {
    json!({
        "id": row.id, "at": row.at, "method": row.method, "tool": row.tool, "model": row.model,
        "user_login": row.user_login, "connection_id": row.connection_id,
        "client_ip": row.client_ip, "outcome": row.outcome, "duration_ms": row.duration_ms,
        "error": row.error, "request_payload": row.request_payload,
        "response_payload": row.response_payload, "writer": row.writer, "seq": row.seq,
        "prev_hash": hex(row.prev_hash.as_deref()), "hash": hex(row.hash.as_deref()),
        "rule": row.rule, "trace_id": row.trace_id,
    })
}

/// A CEF header field: backslash and pipe escaped; a line break, which the header cannot hold,
/// becomes a space.
fn cef_header(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// A CEF extension value: backslash and equals sign escaped, line breaks as `\n` and `\r`.
fn cef_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// CEF severity (0–10) of an outcome: refusals are worth a look, errors more.
fn severity(outcome: &str) -> u8 {
    match outcome {
        super::outcome::SUCCESS | super::outcome::PENDING_APPROVAL => 3,
        super::outcome::DENIED | super::outcome::RATE_LIMITED => 6,
        _ => 7,
    }
}

/// One entry as a CEF line: signature id the method, name the tool (else the method). The
/// payloads are left out: they are for the console, not for a SIEM's fixed-size fields.
pub fn cef(row: &AuditRow) -> String {
    let name = row.tool.as_deref().unwrap_or(&row.method);
    let mut line = format!(
        "CEF:0|odoo-mcp-gateway|odoo-mcp-gateway|{}|{}|{}|{}|",
        cef_header(env!("CARGO_PKG_VERSION")),
        cef_header(&row.method),
        cef_header(name),
        severity(&row.outcome)
    );
    let mut fields: Vec<(&str, String)> = vec![
        ("rt", row.at.to_string()),
        ("externalId", row.id.to_string()),
        ("act", row.method.clone()),
        ("outcome", row.outcome.clone()),
        ("cn1Label", "duration_ms".into()),
        ("cn1", row.duration_ms.to_string()),
    ];
    let optional = [
        ("suser", row.user_login.clone()),
        ("src", row.client_ip.clone()),
        ("cs1Label", row.tool.as_ref().map(|_| "tool".to_owned())),
        ("cs1", row.tool.clone()),
        ("cs2Label", row.model.as_ref().map(|_| "model".to_owned())),
        ("cs2", row.model.clone()),
        (
            "cn2Label",
            row.connection_id.map(|_| "connection_id".to_owned()),
        ),
        ("cn2", row.connection_id.map(|c| c.to_string())),
        ("msg", row.error.clone()),
        // The OpenTelemetry trace of the request, to go from the SIEM to the trace.
        (
            "cs6Label",
            row.trace_id.as_ref().map(|_| "traceId".to_owned()),
        ),
        ("cs6", row.trace_id.clone()),
    ];
    fields.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    let extension: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", cef_value(v)))
        .collect();
    line.push_str(&extension.join(" "));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jsonl_entry_carries_its_rule_and_trace() {
        let row = AuditRow {
            outcome: "rate_limited".into(),
            rule: Some("rate".into()),
            ..AuditRow::default()
        };
        let line = entry(&row);
        assert_eq!(line["rule"], "rate");
        assert_eq!(line["trace_id"], serde_json::Value::Null);
    }

    #[test]
    fn times_are_rfc3339_or_a_duration_ago() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_time("2027-01-15T08:00:00Z", now).unwrap(), now);
        assert_eq!(parse_time("2027-01-15T09:00:00+01:00", now).unwrap(), now);
        assert_eq!(parse_time("24h", now).unwrap(), now - 86_400_000);
        assert_eq!(parse_time("7d", now).unwrap(), now - 7 * 86_400_000);
        assert_eq!(parse_time("90s", now).unwrap(), now - 90_000);
        for bad in ["", "h", "-1h", "1w", "yesterday", "2027-01-15"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn cef_escapes_its_header_and_extension() {
        assert_eq!(cef_header(r"a|b\c"), r"a\|b\\c");
        assert_eq!(cef_value("a=b\\c\nd\re|f"), r"a\=b\\c\nd\re|f");
        let row = AuditRow {
            id: 7,
            at: 1_000,
            method: "tools/call".into(),
            tool: Some("search|read".into()),
            outcome: "denied".into(),
            error: Some("model=res.users is\nnot allowed".into()),
            user_login: Some("anna".into()),
            ..AuditRow::default()
        };
        let line = cef(&row);
        assert!(line.starts_with(&format!(
            "CEF:0|odoo-mcp-gateway|odoo-mcp-gateway|{}|tools/call|search\\|read|6|rt=1000 externalId=7 act=tools/call outcome=denied",
            env!("CARGO_PKG_VERSION")
        )), "{line}");
        assert!(
            line.contains(r"msg=model\=res.users is\nnot allowed"),
            "{line}"
        );
        assert!(
            line.contains("suser=anna") && !line.contains("src="),
            "{line}"
        );
        assert!(!line.contains("cs6"), "no trace, no traceId: {line}");
        assert_eq!(entry(&row)["trace_id"], serde_json::Value::Null);
    }

    #[test]
    fn a_traced_entry_names_its_trace() {
        let row = AuditRow {
            method: "tools/call".into(),
            outcome: "success".into(),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ..AuditRow::default()
        };
        assert!(
            cef(&row).ends_with("cs6Label=traceId cs6=4bf92f3577b34da6a3ce929d0e0e4736"),
            "{}",
            cef(&row)
        );
        assert_eq!(entry(&row)["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}
