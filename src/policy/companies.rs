//! Allowed companies: which Odoo companies a call acts in, from what it names and what the
//! connection allows.

use super::Denial;
use crate::catalog::company::CompanyIds;
use crate::connections::Connection;

/// The companies a call acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Companies {
    /// Odoo's default for the user: the current company for new records and company settings,
    /// every company of the user for searching.
    UserDefault,
    /// Exactly these (Odoo's `allowed_company_ids`); the first is the current one.
    These(CompanyIds),
}

impl Companies {
    /// The `allowed_company_ids` to put in Odoo's context, if any.
    pub fn context_ids(&self) -> Option<&[i64]> {
        match self {
            Self::UserDefault => None,
            Self::These(ids) => Some(ids.ids()),
        }
    }
}

/// The companies a call naming `requested` acts in, or why it may not: a company outside the
/// connection's Allowed companies is refused; a call naming none acts in all of them (the first
/// being the current one), or in the user's default when the list is empty.
pub fn decide(connection: &Connection, requested: Option<CompanyIds>) -> Result<Companies, Denial> {
    let allowed = &connection.policy.allowed_companies;
    match requested {
        Some(ids) => match ids.ids().iter().find(|id| !allowed.allows(**id)) {
            Some(other) => Err(Denial::CompanyNotAllowed(*other)),
            None => Ok(Companies::These(ids)),
        },
        None if allowed.is_empty() => Ok(Companies::UserDefault),
        None => CompanyIds::new(allowed.ids().to_vec())
            .map(Companies::These)
            .map_err(|_| Denial::CompanyNotAllowed(allowed.ids()[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::Scope;
    use crate::policy::test_connection;
    use crate::values::Policy;

    fn connection(allowed: &str) -> Connection {
        let policy = Policy {
            allowed_companies: allowed.parse().unwrap(),
            ..Policy::default()
        };
        test_connection(Scope::Full, policy)
    }

    fn ids(ids: &[i64]) -> CompanyIds {
        CompanyIds::new(ids.to_vec()).unwrap()
    }

    #[test]
    fn named_companies_must_be_allowed_and_none_named_means_the_allowed_ones() {
        let open = connection("");
        assert_eq!(decide(&open, None), Ok(Companies::UserDefault));
        assert_eq!(
            decide(&open, Some(ids(&[7]))),
            Ok(Companies::These(ids(&[7])))
        );
        let two = connection("3\n1");
        assert_eq!(decide(&two, None), Ok(Companies::These(ids(&[3, 1]))));
        assert_eq!(
            decide(&two, Some(ids(&[1]))),
            Ok(Companies::These(ids(&[1])))
        );
        let refused = decide(&two, Some(ids(&[1, 2]))).unwrap_err();
        assert_eq!(refused, Denial::CompanyNotAllowed(2));
        assert_eq!(
            refused.to_string(),
            "Refused by Allowed Companies: the company 2 is not among this connection's allowed companies."
        );
    }
}
