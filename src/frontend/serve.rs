//! The process BuildKit starts: connect to the gateway over stdio, run one build, log its timing, exit.

use std::process::ExitCode;
use std::time::Duration;

use crate::gateway::{client, Options};

/// Runs the frontend over stdin/stdout, as BuildKit starts it. Nothing may be written to stdout but
/// gRPC frames; logs go to stderr (the daemon's log).
pub fn serve_stdio() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scratchkit: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let started = std::time::Instant::now();
    let (code, builder) = runtime.block_on(async {
        let gateway = match client::StdioGateway::connect().await {
            Ok(g) => g,
            Err(e) => {
                eprintln!("scratchkit: cannot reach BuildKit over stdio: {e}");
                return (1, Duration::ZERO);
            }
        };
        let options = Options::from_env();
        match super::run(&gateway, &options).await {
            Ok(timings) => (0, timings.builder),
            Err(e) => {
                eprintln!("scratchkit: {e}");
                (1, Duration::ZERO)
            }
        }
    });
    // The daemon log gets this line; bench/ reads it. "own" leaves out the time builder stages were
    // building: BuildKit's work that the frontend waits for, not its overhead.
    let total = started.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "scratchkit: frontend finished in {:.1} ms, own {:.1} ms (exit {code})",
        ms(total),
        ms(total.saturating_sub(builder))
    );
    // tokio's stdin reader is a blocking thread that would keep the process alive: leave now.
    std::process::exit(code)
}
