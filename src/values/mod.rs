//! Typed values of the domain, each parsed from its text by one parser, whether the text comes
//! from a stored row, a console form or a CLI flag. A row is decoded into these types as it is
//! read: a stored value that no longer parses fails that read loudly, naming its column, rather
//! than falling back on a default.

mod domain;
mod enums;
mod field_limits;
mod ip_list;
mod lists;
mod number;
mod operations;
mod per_model;
mod policy;
mod records;
mod tool_limits;

pub use domain::{Bindings, DomainTemplate};
pub use enums::{ApprovalState, ClientType, IdempotencyState, Kind, Role, Scope};
pub use field_limits::{FieldLimits, FieldPatterns};
pub use ip_list::{BadLine, IpList};
pub use lists::{CompanyList, ModelList, ModelName, ToolList, entries};
pub use number::Limit;
pub use operations::{ModelOperations, Operations};
pub use policy::Policy;
pub use records::RecordLimits;
pub use tool_limits::{Budget, ToolLimits};

/// Why a text is not a value of its type. Stored values report it through sqlx, which names the
/// column; forms show it beside their field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadValue(pub String);

/// Lets sqlx decode a type from a text column on either engine, through its `FromStr`.
macro_rules! decoded_from_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&str as sqlx::Decode<'r, DB>>::decode(value)?.parse::<Self>()?)
            }
        }
    )+};
}
use decoded_from_text;
