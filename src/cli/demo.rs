//! `demo` and `simulator`: the product on one machine against the built-in Odoo simulator.

use crate::config::{DemoArgs, SimulatorArgs};

pub async fn run(_args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("demo: waiting for the simulator")
}

pub async fn run_simulator(_args: SimulatorArgs) -> anyhow::Result<()> {
    anyhow::bail!("simulator: waiting for the simulator")
}
