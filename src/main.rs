//! The `jwtstack` binary: parse, set up logging, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;
use jwtstack::cli::Cli;
use jwtstack::{exit, output};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.global.verbose, cli.global.no_color);
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(jwtstack::commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            jwtstack::errln!("{}", output::render_error(&e));
            if json {
                jwtstack::outln!(
                    "{}",
                    output::to_json(&output::ErrorJson {
                        error: output::error_body(&e)
                    })
                );
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn init_logging(verbose: u8, no_color: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "jwtstack=info",
        _ => "jwtstack=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(stderr_colors(no_color))
        .with_target(false)
        .init();
}

/// Colours on stderr only on a terminal, and never with --no-color or NO_COLOR.
fn stderr_colors(no_color: bool) -> bool {
    use std::io::IsTerminal;
    !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
