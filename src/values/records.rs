//! Record limits: for some models, an Odoo domain the connection is confined to, one
//! `model: domain` line each (`crm.lead: [("user_id", "=", uid)]`). A model not listed is not
//! confined.

use super::domain::DomainTemplate;
use super::per_model::{PerModel, per_model_text};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordLimits(PerModel<DomainTemplate>);

impl RecordLimits {
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<String>> {
        PerModel::parse(
            lines,
            "crm.lead: [(\"user_id\", \"=\", uid)]",
            |text, shown| DomainTemplate::parse(text).map_err(|e| format!("In '{shown}': {e}.")),
        )
        .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The domain `model` is confined to, when it has one.
    pub fn of(&self, model: &str) -> Option<&DomainTemplate> {
        self.0.of(model)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &DomainTemplate)> {
        self.0.iter()
    }
}

per_model_text!(RecordLimits);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_back_in_one_form_and_bad_lines_are_named() {
        let limits: RecordLimits =
            "crm.lead: [('user_id', '=', uid)]\nres.partner: [[\"company_id\", \"in\", company_ids]]"
                .parse()
                .unwrap();
        assert_eq!(
            limits.to_string(),
            "crm.lead: [(\"user_id\", \"=\", uid)]\nres.partner: [(\"company_id\", \"in\", company_ids)]"
        );
        assert_eq!(limits.to_string().parse::<RecordLimits>().unwrap(), limits);
        assert!(limits.of("crm.lead").is_some() && limits.of("sale.order").is_none());
        let errors = RecordLimits::parse([
            "crm.lead [('user_id', '=', uid)]",
            "crm.lead: [('user_id', '=', me)]",
            "res.partner: []",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("is not a rule"), "{}", errors[0]);
        assert!(errors[1].contains("'me' is not a value"), "{}", errors[1]);
        assert!(errors[2].contains("is empty"), "{}", errors[2]);
    }
}
