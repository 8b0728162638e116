//! The simulator's time: like Odoo, it stamps records (`create_date`, an activity's deadline)
//! with the real time of the machine, not the gateway's clock.

/// Now, as Odoo writes a datetime field (UTC).
#[allow(clippy::disallowed_methods)] // Odoo's own clock, which the gateway's clock does not move
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Today, as Odoo writes a date field (UTC).
#[allow(clippy::disallowed_methods)] // as above
pub(crate) fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}
