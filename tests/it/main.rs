//! The one integration-test binary: each module boots real parts and talks to them over HTTP.

mod helpers;
mod mcp;
mod sim_samples;
