//! The Odoo side, from its own crates: the client (`odoo-client`) and, with the default `demo`
//! feature, the Odoo-compatible simulator (`odoo-sim`) that `demo` and `simulator` serve.

pub use odoo_client::*;
#[cfg(feature = "demo")]
pub use odoo_sim as sim;
