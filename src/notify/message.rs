//! What a notification says, and the body it is POSTed as: the standard body (Slack's `text`
//! and the Standard Webhooks envelope), or a Teams Workflows message carrying an Adaptive Card.
//! Pure: an outbox row and the console's public URL in, JSON out.

use serde_json::{Value, json};

use super::{Format, Kind, Subject};
use crate::clock::rfc3339_ms;
use crate::store::OutboxRow;

/// The body of `row`'s delivery in `format`.
pub fn message(public: &str, format: Format, row: &OutboxRow) -> Result<Value, String> {
    let kind: Kind = row.kind.parse().map_err(|e: super::Error| e.to_string())?;
    let subject: Subject = serde_json::from_str(&row.data).map_err(|e| e.to_string())?;
    let said = Said::of(public, kind, &subject);
    Ok(match format {
        Format::Standard => {
            json!({
                "text": said.text(),
                "type": kind.as_str(),
                "timestamp": rfc3339_ms(row.created_at),
                "data": subject,
            })
        }
        Format::Teams => teams(&said, &subject),
    })
}

/// One event in words: a headline, a sentence, and the console page to act on it.
#[derive(Debug, PartialEq, Eq)]
struct Said {
    headline: String,
    sentence: String,
    /// What to do on the page, when there is something to do ("Decide").
    prompt: Option<&'static str>,
    page: String,
}

impl Said {
    fn of(public: &str, kind: Kind, s: &Subject) -> Self {
        let name = format!(
            "\"{}\"",
            s.connection_name.as_deref().unwrap_or("(unnamed)")
        );
        let user = s.user_login.as_deref().unwrap_or("someone");
        let tool = s.tool.as_deref().unwrap_or("a tool");
        let on_model = s
            .model
            .as_ref()
            .map(|m| format!(" on {m}"))
            .unwrap_or_default();
        let approval = match &s.approval_id {
            Some(id) => format!("{public}/console/approvals/{id}"),
            None => format!("{public}/console/approvals"),
        };
        let connection = format!("{public}/console/connections/{}", s.connection_id);
        let (headline, sentence, prompt, page) = match kind {
            Kind::ApprovalRequested => (
                "Approval requested".to_owned(),
                format!("{user} wants to run {tool}{on_model} through connection {name}."),
                Some("Decide"),
                approval,
            ),
            Kind::ApprovalDecided => (
                format!(
                    "Approval {} by {}",
                    s.decision.as_deref().unwrap_or("decided"),
                    s.decided_by.as_deref().unwrap_or("an approver")
                ),
                format!("{tool}{on_model} for {user} through connection {name}."),
                None,
                approval,
            ),
            Kind::ApprovalExpired => (
                "Approval expired unanswered".to_owned(),
                format!("{tool}{on_model} for {user} through connection {name}."),
                None,
                approval,
            ),
            Kind::ConnectionCreated => (
                "Connection created".to_owned(),
                format!("{name} for {user}."),
                None,
                connection,
            ),
            Kind::ConnectionRevoked => (
                "Connection revoked".to_owned(),
                format!("{name} of {user}."),
                None,
                connection,
            ),
            Kind::ConnectionRefusals => (
                "Repeated refusals".to_owned(),
                format!(
                    "connection {name} of {user} was refused {} times within {} minutes.",
                    s.refusals.unwrap_or_default(),
                    s.window_minutes.unwrap_or_default()
                ),
                None,
                connection,
            ),
        };
        Self {
            headline,
            sentence,
            prompt,
            page,
        }
    }

    /// The one line Slack shows: headline, sentence, and the page (after the prompt, if any).
    fn text(&self) -> String {
        let prompt = self.prompt.map(|p| format!("{p}: ")).unwrap_or_default();
        format!("{}: {} {prompt}{}", self.headline, self.sentence, self.page)
    }
}

/// A Teams Workflows message ("When a Teams webhook request is received" → post each
/// attachment's card): Workflows take Adaptive Cards only, not the retired connectors' `text`.
/// The card has the headline, the sentence, the event's facts and a button to the page.
fn teams(said: &Said, s: &Subject) -> Value {
    let mut facts = vec![fact(
        "Connection",
        s.connection_name.as_deref().unwrap_or("(unnamed)"),
    )];
    let optional = [
        ("User", &s.user_login),
        ("Tool", &s.tool),
        ("Model", &s.model),
        ("Decision", &s.decision),
        ("Decided by", &s.decided_by),
    ];
    facts.extend(
        optional
            .iter()
            .filter_map(|(title, value)| value.as_deref().map(|v| fact(title, v))),
    );
    if let (Some(n), Some(minutes)) = (s.refusals, s.window_minutes) {
        facts.push(fact("Refusals", &format!("{n} within {minutes} minutes")));
    }
    let button = match said.prompt {
        Some(prompt) => format!("{prompt} in the console"),
        None => "Open in the console".to_owned(),
    };
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": said.headline, "weight": "Bolder",
                     "size": "Medium", "wrap": true},
                    {"type": "TextBlock", "text": capitalized(&said.sentence), "wrap": true},
                    {"type": "FactSet", "facts": facts},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": button, "url": said.page}],
            },
        }],
    })
}

fn fact(title: &str, value: &str) -> Value {
    json!({"title": title, "value": value})
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, subject: &Subject) -> OutboxRow {
        OutboxRow {
            id: "evt_1".into(),
            kind: kind.into(),
            data: serde_json::to_string(subject).unwrap(),
            created_at: 1_764_547_200_000,
            attempts: 1,
        }
    }

    fn requested() -> Subject {
        Subject {
            approval_id: Some("apr_1".into()),
            connection_id: 7,
            connection_name: Some("Claude".into()),
            user_login: Some("demo".into()),
            tool: Some("create_record".into()),
            model: Some("res.partner".into()),
            ..Subject::default()
        }
    }

    #[test]
    fn the_standard_body_has_the_text_slack_shows_and_the_standard_envelope() {
        let m = message(
            "https://mcp.example.com",
            Format::Standard,
            &row("approval.requested", &requested()),
        )
        .unwrap();
        assert_eq!(
            m["text"],
            "Approval requested: demo wants to run create_record on res.partner through \
             connection \"Claude\". Decide: https://mcp.example.com/console/approvals/apr_1"
        );
        assert_eq!(m["type"], "approval.requested");
        assert_eq!(m["timestamp"], "2025-12-01T00:00:00.000Z");
        assert_eq!(m["data"]["connection_id"], 7);
        assert!(m["data"].get("decision").is_none());
    }

    #[test]
    fn every_kind_says_what_happened_and_links_its_page() {
        let public = "https://gw";
        let refused = Subject {
            refusals: Some(5),
            window_minutes: Some(5),
            ..requested()
        };
        for (kind, subject, text) in [
            (
                Kind::ApprovalDecided,
                Subject {
                    decision: Some("rejected".into()),
                    decided_by: Some("admin".into()),
                    ..requested()
                },
                "Approval rejected by admin: create_record on res.partner for demo through \
                 connection \"Claude\". https://gw/console/approvals/apr_1",
            ),
            (
                Kind::ApprovalExpired,
                requested(),
                "Approval expired unanswered: create_record on res.partner for demo through \
                 connection \"Claude\". https://gw/console/approvals/apr_1",
            ),
            (
                Kind::ConnectionCreated,
                requested(),
                "Connection created: \"Claude\" for demo. https://gw/console/connections/7",
            ),
            (
                Kind::ConnectionRevoked,
                requested(),
                "Connection revoked: \"Claude\" of demo. https://gw/console/connections/7",
            ),
            (
                Kind::ConnectionRefusals,
                refused,
                "Repeated refusals: connection \"Claude\" of demo was refused 5 times within 5 \
                 minutes. https://gw/console/connections/7",
            ),
        ] {
            assert_eq!(Said::of(public, kind, &subject).text(), text, "{kind:?}");
        }
    }

    #[test]
    fn the_teams_body_is_an_adaptive_card_with_the_facts_and_a_button() {
        let m = message(
            "https://mcp.example.com",
            Format::Teams,
            &row("approval.requested", &requested()),
        )
        .unwrap();
        assert_eq!(m["type"], "message");
        let attachment = &m["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][0]["text"], "Approval requested");
        assert_eq!(
            card["body"][1]["text"],
            "Demo wants to run create_record on res.partner through connection \"Claude\"."
        );
        assert_eq!(
            card["body"][2]["facts"],
            json!([
                {"title": "Connection", "value": "Claude"},
                {"title": "User", "value": "demo"},
                {"title": "Tool", "value": "create_record"},
                {"title": "Model", "value": "res.partner"},
            ])
        );
        assert_eq!(
            card["actions"][0],
            json!({"type": "Action.OpenUrl", "title": "Decide in the console",
                   "url": "https://mcp.example.com/console/approvals/apr_1"})
        );
        assert!(m.get("text").is_none() && m.get("data").is_none());
    }
}
