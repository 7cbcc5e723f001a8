// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Where the stack's `tracing` records go (the role of the trace ring buffer and tracefs): `TYR_LOG` selects them
//! like `RUST_LOG` (`TYR_LOG=debug`, `TYR_LOG=kernel=debug,hw_mali=trace`). Human-readable lines go to stderr, or
//! JSON lines are appended to the file named by `TYR_TRACE_FILE` — the format `tyr trace` reads back. Without
//! `TYR_LOG` nothing is installed and every span and event costs one relaxed load.
//!
//! Both processes that host the stack install it the same way: the `tyr` tool and the drm-shim. The libraries (the
//! kernel crate, the driver, the model) only emit records through `tracing`; this crate, not theirs, carries the
//! subscriber, as the kernel keeps tracefs out of drivers.

use std::sync::Mutex;

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::time::Uptime;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// A subscriber writing JSON records — every span's opening and closing, with the span list — for `filter` to
/// `writer`: what `TYR_TRACE_FILE` holds and `tyr trace` parses.
pub fn json_subscriber<W>(
    filter: &str,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_timer(Uptime::default())
        .with_thread_ids(true)
        .json()
        .with_span_list(true)
        .with_current_span(true)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_writer(writer)
        .finish()
}

/// Installs the subscriber `TYR_LOG` and `TYR_TRACE_FILE` ask for, once; does nothing without `TYR_LOG` or when a
/// subscriber is already installed. A trace file that cannot be opened is reported on stderr and tracing stays off.
pub fn init_from_env() {
    let Some(filter) = std::env::var_os("TYR_LOG") else {
        return;
    };
    let filter = filter.to_string_lossy();
    // An already installed subscriber wins; the error saying so is not worth reporting.
    match std::env::var_os("TYR_TRACE_FILE") {
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(file) => {
                let _ = tracing::subscriber::set_global_default(json_subscriber(
                    &filter,
                    Mutex::new(file),
                ));
            }
            Err(e) => eprintln!("TYR_TRACE_FILE {}: {e}", path.to_string_lossy()),
        },
        None => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new(&*filter))
                .with_timer(Uptime::default())
                .with_thread_ids(true)
                .with_ansi(false)
                .with_span_events(FmtSpan::CLOSE)
                .with_writer(std::io::stderr)
                .try_init();
        }
    }
}
