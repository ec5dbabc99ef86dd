//! The `polycart` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::Parser;
use polycart::cli::{
    Cli, Command, EXIT_BAD_INPUT, bench, config, demo, drift, healthcheck, keys, normalize,
    platforms, serve, simulate, stores, sync, worker,
};
use polycart::telemetry::notice;
use tracing::Level;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs (and traces, with an OTLP endpoint set); flushed when `main` returns.
    let telemetry = match polycart::telemetry::init() {
        Ok(t) => t,
        Err(e) => return fail(&e.to_string()),
    };
    let code = run(cli);
    telemetry.shutdown();
    code
}

fn run(cli: Cli) -> ExitCode {
    // Which addresses this process may call; `serve` refines it from its listener.
    polycart_kit::net::refuse_private_addresses(
        polycart::store::UrlPolicy::from_env().refuse_private,
    );
    match cli.command {
        Command::Normalize(args) => match normalize::run(&args) {
            Ok(out) => {
                for warning in &out.warnings {
                    notice(Level::WARN, &format!("warning: {warning}"));
                }
                println!("{}", out.json);
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        },
        Command::Serve(args) => match runtime().block_on(serve::run(&args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        Command::Keys(args) => match runtime().block_on(keys::run(&args)) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        },
        Command::Stores(args) => print_result(runtime().block_on(stores::run(&args))),
        Command::Sync(args) => print_result(runtime().block_on(sync::run(&args))),
        Command::Worker(args) => print_result(runtime().block_on(worker::run(&args))),
        Command::Bench(args) => print_result(runtime().block_on(bench::run(&args))),
        Command::Drift(args) => print_result(runtime().block_on(drift::run(&args))),
        Command::Healthcheck(args) => print_result(runtime().block_on(healthcheck::run(&args))),
        Command::Platforms(args) => {
            println!("{}", platforms::run(&args));
            ExitCode::SUCCESS
        }
        Command::Config(args) => {
            print!("{}", config::run(&args));
            ExitCode::SUCCESS
        }
        Command::Demo(args) => match runtime().block_on(demo::run(&args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        Command::Simulate(args) => match runtime().block_on(simulate::run(&args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

fn print_result(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            notice(Level::ERROR, &message);
            ExitCode::FAILURE
        }
    }
}

fn fail(message: &str) -> ExitCode {
    let one_line = message.replace('\n', " ");
    notice(Level::ERROR, &format!("error: {one_line}"));
    ExitCode::from(EXIT_BAD_INPUT)
}
