//! `polycart config env`: the configuration reference — every environment variable
//! polycart reads, as the Markdown table `docs/configuration.md` holds.

use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print every environment variable (name, default, who reads it, meaning) as Markdown.
    Env,
}

pub fn run(args: &Args) -> String {
    match args.command {
        ConfigCommand::Env => crate::config_env::markdown(&super::Cli::command()),
    }
}
