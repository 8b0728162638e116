//! Per-connection numbers (rate limits, approval expiry): whole numbers from 1 up to a typo
//! guard, or absent for the server default.

use super::BadValue;

/// A whole number from 1 to [`Limit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Limit(u32);

impl Limit {
    /// Largest accepted value (a typo guard, not a policy).
    pub const MAX: u32 = 1_000_000_000;

    pub fn new(n: i64) -> Option<Self> {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(Self)
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

impl<DB: sqlx::Database> sqlx::Type<DB> for Limit
where
    i64: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Limit
where
    i64: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let n = <i64 as sqlx::Decode<'r, DB>>::decode(value)?;
        Ok(Self::new(n).ok_or_else(|| {
            BadValue(format!("{n} is not a whole number from 1 to {}", Self::MAX))
        })?)
    }
}
