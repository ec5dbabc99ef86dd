//! `polycart simulate <platform>`: runs a platform simulator and prints, as its first
//! stdout line, how to connect to it (`{"platform", "base_url", "credentials"}`).

use std::net::SocketAddr;

use polycart_kit::sim::{FaultSpec, SimOptions, StoreSize};

use crate::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform registry name.
    pub platform: String,
    /// Address to serve on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Seed of the generated store: the same seed gives the same store.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 50)]
    pub products: usize,
    #[arg(long, default_value_t = 300)]
    pub orders: usize,
    #[arg(long, default_value_t = 100)]
    pub customers: usize,
    /// The platform plan whose limits to enforce (e.g. standard, plus).
    #[arg(long)]
    pub plan: Option<String>,
    /// Faults to inject, e.g. "5xx=0.05,burst=3/100,latency=50ms,truncate=0.01".
    #[arg(long, default_value = "")]
    pub faults: String,
}

impl Args {
    /// The simulator options these arguments ask for.
    pub fn options(&self) -> Result<SimOptions, String> {
        Ok(SimOptions {
            seed: self.seed,
            size: StoreSize {
                products: self.products,
                customers: self.customers,
                orders: self.orders,
            },
            plan: self.plan.clone(),
            faults: FaultSpec::parse(&self.faults)?,
        })
    }
}

/// Starts the simulator, prints its connection line, and serves until Ctrl-C.
pub async fn run(args: &Args) -> Result<(), String> {
    let connector = registry::connector(&args.platform).map_err(|e| e.to_string())?;
    let options = args.options()?;
    let server = (connector.simulate)(options, args.addr)
        .await
        .map_err(|e| {
            format!(
                "cannot start the {} simulator on {}: {e}",
                connector.name, args.addr
            )
        })?;
    let line = serde_json::to_string(&server.info).map_err(|e| e.to_string())?;
    println!("{line}");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
    }
    server.shutdown().await;
    Ok(())
}

async fn terminate() {
    #[cfg(unix)]
    {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}
