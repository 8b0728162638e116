//! The one integration-test binary: each module boots real parts and talks to them over HTTP.

mod cli;
mod console;
mod console_browser;
mod console_webdriver;
mod helpers;
mod mcp;
mod python_sdk;
mod sim_samples;
mod store;
