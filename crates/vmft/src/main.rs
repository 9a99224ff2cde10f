//! `vmft`: fault-tolerant RISC-V virtual machines. For now, `vmft run` boots a bare-metal
//! program on the board.

mod cli;
mod config;
mod console;
mod run;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => config::RunConfig::from_args(args)
            .map_err(Into::into)
            .and_then(run::run),
    };
    result.unwrap_or_else(|err| {
        eprintln!("vmft: error: {err:#}");
        ExitCode::from(run::EXIT_BAD_INPUT)
    })
}
