//! A connection's policy as text, the way people type it (the console form, a policy file): all
//! of it parsed at once, so either every setting is valid and the policy to store comes out, or
//! each bad setting gets its own precise message and nothing is stored.

use serde::Deserialize;

use crate::catalog::validate;
use crate::store::OdooUserRow;
use crate::values::{
    CompanyList, FieldLimits, IpList, Limit, ModelList, ModelOperations, Policy, RecordLimits,
    ToolLimits, ToolList, entries,
};

pub const MAX_DESCRIPTION: usize = 4000;

/// Every setting as typed. Lists may be separated by commas, spaces or lines; per-model rules
/// and IP lists take one entry per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PolicyText {
    pub allowed_tools: String,
    pub allowed_models: String,
    /// One `model: operation, …` rule per line.
    pub model_operations: String,
    /// Odoo company ids, comma- or space-separated.
    pub allowed_companies: String,
    pub approval_tools: String,
    pub confirm_tools: String,
    /// A linked user's id, or empty for "any MCP Administrator".
    pub approver: String,
    pub approval_expiry_hours: String,
    pub allowed_ips: String,
    pub blocked_ips: String,
    pub rate_per_minute: String,
    pub rate_per_day: String,
    /// One `model: domain` per line.
    pub record_limits: String,
    /// One `model: field, pattern` per line.
    pub field_limits: String,
    pub write_per_minute: String,
    pub write_per_day: String,
    /// One `tool: N/minute, M/day` per line.
    pub tool_limits: String,
    pub description: String,
}

/// The settings' names, in the form's order: the keys of a policy file and of [`FieldErrors`].
pub const SETTINGS: [&str; 18] = [
    "allowed_tools",
    "allowed_models",
    "model_operations",
    "allowed_companies",
    "approval_tools",
    "confirm_tools",
    "approver",
    "approval_expiry_hours",
    "allowed_ips",
    "blocked_ips",
    "rate_per_minute",
    "rate_per_day",
    "record_limits",
    "field_limits",
    "write_per_minute",
    "write_per_day",
    "tool_limits",
    "description",
];

impl PolicyText {
    /// The stored policy written out, one entry per line: it parses back to the same policy.
    pub fn from_policy(description: &str, p: &Policy) -> Self {
        let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let limit = |n: Option<Limit>| num(n.map(Limit::get));
        Self {
            allowed_tools: p.allowed_tools.to_string(),
            allowed_models: p.allowed_models.to_string(),
            model_operations: p.model_operations.to_string(),
            allowed_companies: p.allowed_companies.to_string(),
            approval_tools: p.approval_tools.to_string(),
            confirm_tools: p.confirm_tools.to_string(),
            approver: num(p.approver_user_id),
            approval_expiry_hours: limit(p.approval_expiry_hours),
            allowed_ips: p.allowed_ips.to_string(),
            blocked_ips: p.blocked_ips.to_string(),
            rate_per_minute: limit(p.rate_per_minute),
            rate_per_day: limit(p.rate_per_day),
            record_limits: p.record_limits.to_string(),
            field_limits: p.field_limits.to_string(),
            write_per_minute: limit(p.write_per_minute),
            write_per_day: limit(p.write_per_day),
            tool_limits: p.tool_limits.to_string(),
            description: description.to_owned(),
        }
    }

    /// The setting named `name` (one of [`SETTINGS`]).
    pub fn get_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "allowed_tools" => &mut self.allowed_tools,
            "allowed_models" => &mut self.allowed_models,
            "model_operations" => &mut self.model_operations,
            "allowed_companies" => &mut self.allowed_companies,
            "approval_tools" => &mut self.approval_tools,
            "confirm_tools" => &mut self.confirm_tools,
            "approver" => &mut self.approver,
            "approval_expiry_hours" => &mut self.approval_expiry_hours,
            "allowed_ips" => &mut self.allowed_ips,
            "blocked_ips" => &mut self.blocked_ips,
            "rate_per_minute" => &mut self.rate_per_minute,
            "rate_per_day" => &mut self.rate_per_day,
            "record_limits" => &mut self.record_limits,
            "field_limits" => &mut self.field_limits,
            "write_per_minute" => &mut self.write_per_minute,
            "write_per_day" => &mut self.write_per_day,
            "tool_limits" => &mut self.tool_limits,
            "description" => &mut self.description,
            _ => return None,
        })
    }

    /// `approvers` are the linked users with a console role; `own_user`, when four-eyes is on,
    /// the connection's own user, who may not approve its requests.
    pub fn parse(
        &self,
        approvers: &[OdooUserRow],
        own_user: Option<i64>,
    ) -> Result<(String, Policy), Box<FieldErrors>> {
        let mut e = FieldErrors::default();
        let allowed_tools = field(
            ToolList::parse(tags(&self.allowed_tools)),
            &mut e.allowed_tools,
        );
        let approval_tools = field(
            ToolList::parse(tags(&self.approval_tools)),
            &mut e.approval_tools,
        );
        let confirm_tools = field(
            ToolList::parse(tags(&self.confirm_tools)),
            &mut e.confirm_tools,
        );
        let allowed_models = field(
            ModelList::parse(tags(&self.allowed_models)),
            &mut e.allowed_models,
        );
        let model_operations = field(
            ModelOperations::parse(entries(&self.model_operations)),
            &mut e.model_operations,
        );
        outside_allowed(
            &allowed_models,
            model_operations.models(),
            &mut e.model_operations,
        );
        let allowed_companies = field(
            CompanyList::parse(tags(&self.allowed_companies)),
            &mut e.allowed_companies,
        );
        let approver_user_id = approver(&self.approver, approvers, &mut e.approver);
        if approver_user_id.is_some() && approver_user_id == own_user {
            e.approver.push(
                "Four-eyes approvals are on (Server Settings): the connection's own user cannot approve its requests."
                    .to_owned(),
            );
        }
        let [
            approval_expiry_hours,
            rate_per_minute,
            rate_per_day,
            write_per_minute,
            write_per_day,
        ] = [
            (
                &self.approval_expiry_hours,
                "Approval expiry",
                "hours",
                &mut e.approval_expiry_hours,
            ),
            (
                &self.rate_per_minute,
                "The limit",
                "requests per minute",
                &mut e.rate_per_minute,
            ),
            (
                &self.rate_per_day,
                "The limit",
                "requests per day",
                &mut e.rate_per_day,
            ),
            (
                &self.write_per_minute,
                "The write budget",
                "calls per minute",
                &mut e.write_per_minute,
            ),
            (
                &self.write_per_day,
                "The write budget",
                "calls per day",
                &mut e.write_per_day,
            ),
        ]
        .map(|(text, what, unit, errors)| number(text, what, unit, errors));
        let allowed_ips = ip_list(&self.allowed_ips, &mut e.allowed_ips);
        let blocked_ips = ip_list(&self.blocked_ips, &mut e.blocked_ips);
        let record_limits = field(
            RecordLimits::parse(entries(&self.record_limits)),
            &mut e.record_limits,
        );
        let field_limits = field(
            FieldLimits::parse(entries(&self.field_limits)),
            &mut e.field_limits,
        );
        outside_allowed(
            &allowed_models,
            record_limits.iter().map(|(m, _)| m),
            &mut e.record_limits,
        );
        outside_allowed(
            &allowed_models,
            field_limits.iter().map(|(m, _)| m),
            &mut e.field_limits,
        );
        let tool_limits = field(
            ToolLimits::parse(entries(&self.tool_limits)),
            &mut e.tool_limits,
        );
        let description = self.description.trim().replace("\r\n", "\n");
        if description.chars().count() > MAX_DESCRIPTION {
            e.description.push(format!(
                "The description is too long: at most {MAX_DESCRIPTION} characters."
            ));
        }
        if !e.is_empty() {
            return Err(Box::new(e));
        }
        Ok((
            description,
            Policy {
                allowed_tools,
                allowed_models,
                model_operations,
                allowed_companies,
                approval_tools,
                confirm_tools,
                approver_user_id,
                approval_expiry_hours,
                allowed_ips,
                blocked_ips,
                rate_per_minute,
                rate_per_day,
                record_limits,
                field_limits,
                write_per_minute,
                write_per_day,
                tool_limits,
            },
        ))
    }
}

/// One message list per setting; empty lists mean the setting is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub allowed_tools: Vec<String>,
    pub allowed_models: Vec<String>,
    pub model_operations: Vec<String>,
    pub allowed_companies: Vec<String>,
    pub approval_tools: Vec<String>,
    pub confirm_tools: Vec<String>,
    pub approver: Vec<String>,
    pub approval_expiry_hours: Vec<String>,
    pub allowed_ips: Vec<String>,
    pub blocked_ips: Vec<String>,
    pub rate_per_minute: Vec<String>,
    pub rate_per_day: Vec<String>,
    pub record_limits: Vec<String>,
    pub field_limits: Vec<String>,
    pub write_per_minute: Vec<String>,
    pub write_per_day: Vec<String>,
    pub tool_limits: Vec<String>,
    pub description: Vec<String>,
}

impl FieldErrors {
    /// Each setting's messages with its name, in the order of [`SETTINGS`].
    pub fn named(&self) -> [(&'static str, &Vec<String>); 18] {
        let all = [
            &self.allowed_tools,
            &self.allowed_models,
            &self.model_operations,
            &self.allowed_companies,
            &self.approval_tools,
            &self.confirm_tools,
            &self.approver,
            &self.approval_expiry_hours,
            &self.allowed_ips,
            &self.blocked_ips,
            &self.rate_per_minute,
            &self.rate_per_day,
            &self.record_limits,
            &self.field_limits,
            &self.write_per_minute,
            &self.write_per_day,
            &self.tool_limits,
            &self.description,
        ];
        let mut i = 0;
        all.map(|errors| {
            i += 1;
            (SETTINGS[i - 1], errors)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.named().iter().all(|(_, e)| e.is_empty())
    }

    /// How many settings have a message.
    pub fn count(&self) -> usize {
        self.named().iter().filter(|(_, e)| !e.is_empty()).count()
    }
}

/// Tags typed as a comma-, space- or newline-separated list.
pub fn tags(text: &str) -> Vec<&str> {
    text.split([',', '\n', '\r', ' ', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// A rule of a model outside a non-empty Allowed Models would never apply: most likely a typo.
fn outside_allowed<'a>(
    allowed: &ModelList,
    ruled: impl Iterator<Item = &'a str>,
    errors: &mut Vec<String>,
) {
    if allowed.is_empty() {
        return;
    }
    for model in ruled.filter(|m| !allowed.allows(m)) {
        errors.push(format!(
            "{model} is not among the Allowed Models, so its rule would never apply: add it there or remove the rule."
        ));
    }
}

/// The value of a setting that parsed, else its messages go to the setting (and a default
/// stands in, never stored: any message fails the whole policy).
fn field<T: Default>(parsed: Result<T, Vec<String>>, errors: &mut Vec<String>) -> T {
    parsed.unwrap_or_else(|e| {
        errors.extend(e);
        T::default()
    })
}

fn ip_list(text: &str, errors: &mut Vec<String>) -> IpList {
    let parsed = IpList::parse(text).map_err(|bad| {
        bad.iter()
            .map(|b| format!("{}.", capitalise(&b.to_string())))
            .collect()
    });
    field(parsed, errors)
}

fn approver(text: &str, approvers: &[OdooUserRow], errors: &mut Vec<String>) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text
        .parse::<i64>()
        .ok()
        .and_then(|id| approvers.iter().find(|u| u.id == id))
    {
        Some(u) => Some(u.id),
        None => {
            errors.push(
                "Choose an approver among the users with an MCP role, or leave it empty for any MCP Administrator."
                    .to_owned(),
            );
            None
        }
    }
}

/// Blank → `None` (the server default); else a whole number from 1 up.
fn number(text: &str, what: &str, unit: &str, errors: &mut Vec<String>) -> Option<Limit> {
    let text = text.trim().replace(['_', ','], "");
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>().ok().and_then(Limit::new) {
        Some(n) => Some(n),
        None => {
            errors.push(format!(
                "{what} must be a whole number of {unit} from 1 to {}, or blank for the server default ('{}' is not).",
                Limit::MAX,
                validate::truncate(&text, 40)
            ));
            None
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> OdooUserRow {
        OdooUserRow {
            id,
            login: format!("u{id}"),
            odoo_uid: id,
            name: format!("User {id}"),
            protocol: "json2".into(),
            secret_sealed: vec![],
            role: Some(crate::users::Role::Admin),
            linked_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn valid_text_becomes_stored_lists_and_numbers() {
        let text = PolicyText {
            allowed_tools: "search_records, get_record\nsearch_records".into(),
            allowed_models: "res.partner sale.order".into(),
            model_operations: "res.partner: read, write\r\nsale.order: read".into(),
            allowed_companies: "3, 1".into(),
            approval_tools: "delete_record".into(),
            confirm_tools: "update_record".into(),
            approver: "2".into(),
            approval_expiry_hours: "48".into(),
            allowed_ips: "10.0.0.0/8 # office\r\n2001:db8::/32".into(),
            rate_per_minute: "30".into(),
            description: "  Marketing intern  ".into(),
            ..Default::default()
        };
        let (desc, p) = text.parse(&[user(2)], None).unwrap();
        assert_eq!(desc, "Marketing intern");
        assert_eq!(p.allowed_tools.to_string(), "search_records\nget_record");
        assert_eq!(p.allowed_models.to_string(), "res.partner\nsale.order");
        assert_eq!(
            p.model_operations.to_string(),
            "res.partner: read, write\nsale.order: read"
        );
        assert_eq!(p.allowed_companies.ids(), [3, 1]);
        assert_eq!(p.approver_user_id, Some(2));
        assert_eq!(p.confirm_tools.to_string(), "update_record");
        assert_eq!(p.approval_expiry_hours, Limit::new(48));
        assert_eq!(
            p.allowed_ips.as_text(),
            "10.0.0.0/8 # office\n2001:db8::/32"
        );
        assert_eq!((p.rate_per_minute, p.rate_per_day), (Limit::new(30), None));
        // Written out, it reads back the same.
        let again = PolicyText::from_policy(&desc, &p);
        assert_eq!(again.parse(&[user(2)], None).unwrap(), (desc, p));
    }

    #[test]
    fn every_bad_setting_is_named_with_its_own_message() {
        let text = PolicyText {
            allowed_tools: "search_records, drop_database".into(),
            allowed_models: "Res Partner".into(),
            allowed_companies: "1 main".into(),
            approver: "99".into(),
            approval_expiry_hours: "0".into(),
            blocked_ips: "10.0.0.1\nnot-an-ip\n300.1.1.1".into(),
            rate_per_minute: "-5".into(),
            rate_per_day: "lots".into(),
            ..Default::default()
        };
        let e = text.parse(&[user(2)], None).unwrap_err();
        assert!(e.allowed_tools[0].contains("'drop_database' is not a tool"));
        assert_eq!(e.allowed_models.len(), 2, "{:?}", e.allowed_models);
        assert!(e.allowed_companies[0].starts_with("'main' is not a company id"));
        assert!(e.approver[0].contains("Choose an approver"));
        assert!(e.approval_expiry_hours[0].contains("'0'"));
        assert_eq!(e.blocked_ips.len(), 2);
        assert!(
            e.blocked_ips[0].starts_with("Line 2: 'not-an-ip'"),
            "{}",
            e.blocked_ips[0]
        );
        assert!(e.blocked_ips[1].starts_with("Line 3: '300.1.1.1'"));
        assert!(e.rate_per_minute[0].contains("requests per minute"));
        assert!(e.rate_per_day[0].contains("'lots'"));
        assert_eq!(e.count(), 8);
        let named: Vec<&str> = e
            .named()
            .into_iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(n, _)| n)
            .collect();
        assert_eq!(named[0], "allowed_tools");
        assert!(named.contains(&"rate_per_day"));
    }

    #[test]
    fn rules_outside_allowed_models_and_four_eyes_are_refused() {
        let text = PolicyText {
            model_operations: "res.partner: read\nsale.order: read".into(),
            allowed_models: "res.partner".into(),
            approver: "2".into(),
            ..Default::default()
        };
        let e = text.parse(&[user(2)], Some(2)).unwrap_err();
        assert_eq!(
            e.model_operations,
            [
                "sale.order is not among the Allowed Models, so its rule would never apply: add it there or remove the rule."
            ]
        );
        assert!(e.approver[0].starts_with("Four-eyes approvals are on"));
    }

    #[test]
    fn every_setting_is_reachable_by_its_name() {
        let mut text = PolicyText::default();
        for name in SETTINGS {
            *text.get_mut(name).unwrap() = name.to_owned();
        }
        assert_eq!(text.tool_limits, "tool_limits");
        assert_eq!(text.description, "description");
        assert!(text.get_mut("colour").is_none());
    }
}
