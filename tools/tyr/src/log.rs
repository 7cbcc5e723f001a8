//! `TYR_LOG`: the `tracing` subscriber of the `tyr` tool, selected like `RUST_LOG` (`TYR_LOG=debug`,
//! `TYR_LOG=kernel=debug,hw_mali=trace`). Human-readable lines on stderr, or JSON lines appended to the file named by
//! `TYR_TRACE_FILE` (what `tyr trace` reads back). Without `TYR_LOG` nothing is installed and every span and event
//! costs one relaxed load.

use std::sync::Mutex;

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::time::Uptime;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber `TYR_LOG` and `TYR_TRACE_FILE` ask for, once; does nothing without `TYR_LOG` or when a
/// subscriber is already installed. A trace file that cannot be opened is reported on stderr and tracing stays off.
pub fn init_from_env() {
    let Some(filter) = std::env::var_os("TYR_LOG") else { return };
    let filter = EnvFilter::new(filter.to_string_lossy());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_timer(Uptime::default()).with_thread_ids(true);
    let _ = match std::env::var_os("TYR_TRACE_FILE") {
        Some(path) => match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
            Ok(file) => builder
                .json()
                .with_span_list(true)
                .with_current_span(true)
                .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
                .with_writer(Mutex::new(file))
                .try_init(),
            Err(e) => {
                eprintln!("TYR_TRACE_FILE {}: {e}", path.to_string_lossy());
                return;
            }
        },
        None => builder.with_ansi(false).with_span_events(FmtSpan::CLOSE).with_writer(std::io::stderr).try_init(),
    };
}
