// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The shader core's host worker count is settled when the GPU is created, not at its first dispatch: finding the
//! host's parallelism opens files, which must not happen on the model thread at an arbitrary moment (a client that
//! accounts for its descriptors, as the fuzzers do, would see one appear during an unrelated call). A binary of its
//! own: it needs a process in which nothing has settled the count yet.

use hw_mali::shader::parallel::workers_settled;
use hw_mali::{Mali, MaliConfig};

#[test]
fn creating_the_gpu_settles_the_worker_count() {
    assert_eq!(workers_settled(), None, "nothing settled it before");
    let ram = std::sync::Arc::new(hw_mem::Ram::new(hw_mem::RamConfig::default()).unwrap());
    let _gpu = Mali::new(ram, MaliConfig::default());
    assert!(workers_settled().is_some_and(|n| n >= 1));
}
