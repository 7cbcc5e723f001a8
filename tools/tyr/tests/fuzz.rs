//! A short fixed-seed fuzz budget (`make test`): the ioctl fuzzer runs its seeds to the end with no panic, no
//! disallowed errno, no checker failure, no state change by a failed call and no frame leaked; its scripts round-trip;
//! and a replayed script gives the same figures as the run that generated it.
//!
//! One test function: the fuzzer counts panics and descriptors process-wide, so nothing may run beside it.

use tyr_cli::fuzz::{self, call::Step, gen::Gen, script, Options};

const SEEDS: [u64; 2] = [7, 2026];
const ITERATIONS: u64 = 400;

#[test]
fn fixed_seeds_run_clean_and_scripts_replay() {
    for seed in SEEDS {
        let opts = Options { seed, iterations: ITERATIONS, files: 3, minimise_budget: 30 };
        match fuzz::run(opts, &mut |_| {}) {
            Ok(stats) => {
                assert_eq!(stats.steps, ITERATIONS);
                assert!(stats.ioctls > ITERATIONS * 9 / 10, "{stats}");
                assert!(stats.per_ioctl.len() >= 25, "every ioctl family is reached: {stats}");
            }
            Err(e) => panic!("{e}"),
        }
    }

    let mut ex = fuzz::exec::Executor::new(2).unwrap();
    let mut g = Gen::new(99);
    let mut steps: Vec<Step> = Vec::new();
    for _ in 0..150 {
        let s = g.next(&ex.view());
        ex.run(&s).unwrap();
        steps.push(s);
    }
    ex.finish().unwrap();
    let text = script::print(&steps);
    assert_eq!(script::parse(&text).unwrap(), steps);
    let a = fuzz::replay(&steps, 2).unwrap_or_else(|e| panic!("{e}"));
    let b = fuzz::replay(&script::parse(&text).unwrap(), 2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.per_ioctl, b.per_ioctl, "a replay is deterministic");
}
