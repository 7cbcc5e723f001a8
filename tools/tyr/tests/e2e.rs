// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr e2e`'s fuzz figure. In a test binary of its own: the fuzzer counts descriptors and anonymous files
//! process-wide, so it must not share its process with other tests opening files.

use tyr_cli::e2e::{run, Better, Options};

#[test]
fn a_short_fuzz_run_gives_a_positive_rate() {
    let opts = Options {
        // No suite or Vulkan figure is asked for, so the shim is never loaded; any existing file will do.
        shim: std::env::current_exe().unwrap(),
        reps: 1,
        fuzz_iterations: 50,
        ..Options::default()
    };
    let figs = run(&opts).unwrap();
    assert_eq!(figs.len(), 1, "{figs:?}");
    let f = &figs[0];
    assert_eq!((f.name.as_str(), f.unit.as_str()), ("tyr fuzz", "ioctls/s"));
    assert_eq!(f.better, Better::Higher);
    assert!(f.best > 0.0 && f.best.is_finite(), "{f:?}");
    assert!(f.note.contains("50 steps"), "{}", f.note);
}
