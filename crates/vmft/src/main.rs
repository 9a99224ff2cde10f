//! `vmft`: fault-tolerant RISC-V virtual machines. `vmft run` boots a machine (a bare-metal
//! program, or firmware with a Linux kernel) and can record its inputs; `vmft replay`
//! re-executes a recording; `vmft log` shows what a recording holds; `vmft primary` and
//! `vmft backup` run the two sides of a fault-tolerant pair (`vmft keygen` makes their key,
//! `vmft status` shows where a side stands); `vmft image build` makes guest images. This crate only parses arguments and picks a front
//! end: the engine and ft crates do the work.

mod cli;
mod config;
mod inspect;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ImageCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    ft::log::init();
    let result = match cli.command {
        Command::Run(args) => config::run_config(args)
            .map_err(Into::into)
            .and_then(engine::live::run),
        Command::Replay(args) if args.machine.record.is_some() => {
            Err(anyhow::anyhow!("--record is for `vmft run`: a replay logs nothing"))
        }
        Command::Replay(args) if args.machine.save_at.is_some() => Err(anyhow::anyhow!(
            "--save-at is for `vmft run`: a replay starts from snapshots (--from-snapshot) but saves none"
        )),
        Command::Replay(args) => config::run_config(args.machine)
            .map_err(Into::into)
            .and_then(|config| {
                engine::replayer::replay(&args.log, config, args.from_snapshot.as_deref())
            }),
        Command::Log(args) => inspect::inspect(&args.log, args.entries),
        Command::Primary(args) => config::pair_config(args.machine).and_then(|config| {
            ft::primary::run(config, &args.listen, &config::ft_options(args.ft, false, None))
        }),
        Command::Backup(args) => config::pair_config(args.machine).and_then(|config| {
            ft::backup::run(
                config,
                &args.primary,
                &config::ft_options(args.ft, args.join, args.listen),
            )
        }),
        Command::Keygen(args) => ft::channel::Key::generate_file(&args.file)
            .map(|_| {
                eprintln!("vmft: wrote a new key to {}", args.file.display());
                ExitCode::SUCCESS
            })
            .map_err(Into::into),
        Command::Status(args) => ft::control::query(&args.socket)
            .map_err(Into::into)
            .and_then(|status| {
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&status)?);
                } else {
                    print!("{}", status.text());
                }
                Ok(ExitCode::SUCCESS)
            }),
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
        ExitCode::from(engine::live::EXIT_BAD_INPUT)
    })
}
