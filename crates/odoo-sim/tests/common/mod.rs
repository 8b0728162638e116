//! What the simulator's wire tests share.

/// The order of an error's `name/debug/message/arguments/context` keys in the raw body, after
/// the first `from` (from the start when it is absent): real Odoo 18 and 19 differ in it.
pub fn key_order(raw: &str, from: &str) -> Vec<&'static str> {
    let start = raw.find(from).unwrap_or(0);
    let data = &raw[start..];
    let mut found: Vec<(usize, &'static str)> =
        ["name", "debug", "message", "arguments", "context"]
            .into_iter()
            .filter_map(|key| data.find(&format!("\"{key}\":")).map(|at| (at, key)))
            .collect();
    found.sort();
    found.into_iter().map(|(_, key)| key).collect()
}
