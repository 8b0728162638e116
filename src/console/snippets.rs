//! Ready-to-paste client configurations for an API key: the one source of truth for the
//! console's snippets (wizard result and rotation result); the README mirrors them.

/// One client's snippet: where it goes and what to paste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// Short stable id, used in element ids (`snippet-cursor`).
    pub id: &'static str,
    pub client: &'static str,
    /// Where to put it (a file, or "run in a terminal").
    pub place: &'static str,
    pub body: String,
}

/// Snippets for `mcp_url` with `key`, in the order the console shows them.
pub fn for_api_key(mcp_url: &str, key: &str) -> Vec<Snippet> {
    let json = |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("JSON values print");
    let bearer = format!("Bearer {key}");
    vec![
        Snippet {
            id: "cursor",
            client: "Cursor",
            place: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
            body: json(serde_json::json!({"mcpServers": {"odoo": {
                "url": mcp_url, "headers": {"Authorization": bearer}}}})),
        },
        Snippet {
            id: "claude-code",
            client: "Claude Code",
            place: "run in a terminal",
            body: format!(
                "claude mcp add --transport http odoo {mcp_url} --header \"Authorization: {bearer}\""
            ),
        },
        Snippet {
            id: "vscode",
            client: "VS Code",
            place: ".vscode/mcp.json in your workspace",
            body: json(serde_json::json!({"servers": {"odoo": {
                "type": "http", "url": mcp_url, "headers": {"Authorization": bearer}}}})),
        },
        Snippet {
            id: "gemini",
            client: "Gemini CLI",
            place: "~/.gemini/settings.json",
            body: json(serde_json::json!({"mcpServers": {"odoo": {
                "httpUrl": mcp_url, "headers": {"Authorization": bearer}}}})),
        },
        Snippet {
            id: "claude-desktop",
            client: "Claude Desktop (via mcp-remote)",
            place: "claude_desktop_config.json (Settings › Developer › Edit Config); needs Node.js",
            // mcp-remote splits arguments on spaces on some platforms, so the header value comes
            // from an environment variable, as mcp-remote's documentation recommends.
            body: json(serde_json::json!({"mcpServers": {"odoo": {
                "command": "npx",
                "args": ["-y", "mcp-remote", mcp_url, "--header", "Authorization:${AUTH}"],
                "env": {"AUTH": bearer}}}})),
        },
        Snippet {
            id: "curl",
            client: "curl",
            place: "run in a terminal",
            body: format!(
                "curl -s {mcp_url} \\\n  -H \"Authorization: {bearer}\" \\\n  -H \"Content-Type: application/json\" \\\n  -H \"Accept: application/json, text/event-stream\" \\\n  -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}'"
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snippet_carries_the_real_url_and_key() {
        let snippets = for_api_key("https://mcp.example.com/mcp", "omg_SECRET");
        assert_eq!(snippets.len(), 6);
        for s in &snippets {
            assert!(s.body.contains("https://mcp.example.com/mcp"), "{}", s.id);
            assert!(s.body.contains("Bearer omg_SECRET"), "{}", s.id);
        }
    }

    #[test]
    fn json_snippets_parse_and_use_each_clients_keys() {
        let snippets = for_api_key("https://h/mcp", "k");
        let get = |id: &str| -> serde_json::Value {
            serde_json::from_str(&snippets.iter().find(|s| s.id == id).unwrap().body).unwrap()
        };
        assert_eq!(get("cursor")["mcpServers"]["odoo"]["url"], "https://h/mcp");
        assert_eq!(get("vscode")["servers"]["odoo"]["type"], "http");
        assert_eq!(
            get("gemini")["mcpServers"]["odoo"]["httpUrl"],
            "https://h/mcp"
        );
        assert_eq!(
            get("claude-desktop")["mcpServers"]["odoo"]["env"]["AUTH"],
            "Bearer k"
        );
    }
}
