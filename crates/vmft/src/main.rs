//! `vmft`: fault-tolerant RISC-V virtual machines. `vmft run` boots a machine (a bare-metal
//! program, or firmware with a Linux kernel) and can record its inputs; `vmft replay`
//! re-executes a recording; `vmft log` shows what a recording holds; `vmft image build` makes
//! the default guest.

mod cli;
mod clock;
mod config;
mod divergence;
mod host;
mod inspect;
mod record;
mod replay;
mod run;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ImageCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => config::RunConfig::from_args(args)
            .map_err(Into::into)
            .and_then(run::run),
        Command::Replay(args) if args.machine.record.is_some() => {
            Err(anyhow::anyhow!("--record is for `vmft run`: a replay logs nothing"))
        }
        Command::Replay(args) if args.machine.save_at.is_some() => Err(anyhow::anyhow!(
            "--save-at is for `vmft run`: a replay starts from snapshots (--from-snapshot) but saves none"
        )),
        Command::Replay(args) => config::RunConfig::from_args(args.machine)
            .map_err(Into::into)
            .and_then(|config| replay::replay(&args.log, config, args.from_snapshot.as_deref())),
        Command::Log(args) => inspect::inspect(&args.log, args.entries),
        Command::Image(ImageCommand::Build(args)) => {
            let cache = args.cache.unwrap_or_else(image::default_cache_dir);
            let out = args.out.unwrap_or_else(|| cache.join("image"));
            // A failed build is the environment's fault (apt, the mirror), not bad input.
            Ok(match image::build(&out, &cache, args.mirror.as_deref(), &args.packages) {
                Ok(_) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("vmft: error: {err}");
                    ExitCode::FAILURE
                }
            })
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("vmft: error: {err:#}");
        ExitCode::from(run::EXIT_BAD_INPUT)
    })
}
