// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A text dump of the scheduler for debugfs and for diagnosing hangs: the slots, every group's state and queues,
//! the resets. It never waits for the worker: when the worker holds the scheduler's lock (busy, or stuck) the dump
//! says so instead.

use std::fmt::Write;
use std::time::Instant;

use super::Scheduler;

impl Scheduler {
    /// The dump (see the module documentation).
    pub(crate) fn dump(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "resets {:?} late_acks {} kicked {:?}",
            self.reset_stats(),
            self.late_acks(),
            self.kicked.try_lock().map(|k| *k)
        );
        let Some(inner) = self.inner.try_lock() else {
            out.push_str("worker holds the scheduler lock\n");
            return out;
        };
        let now = Instant::now();
        for (s, slot) in inner.slots.iter().enumerate() {
            if let Some((g, since)) = slot {
                let _ = writeln!(out, "slot {s}: vm {} since {:?}", g.vm.id(), now - *since);
            }
        }
        for g in &inner.groups {
            let st = g.state();
            let _ = writeln!(
                out,
                "group vm {} prio {}: slot {:?} started {} timed_out {} fatal {:#x} destroyed {} terminated {} innocent {}",
                g.vm.id(),
                g.priority,
                st.slot,
                st.started,
                st.timed_out,
                st.fatal_queues,
                st.destroyed,
                st.terminated,
                st.innocent
            );
            drop(st);
            for (i, q) in g.queues.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {} sync {:?}",
                    q.describe(now),
                    g.sync_object(i).ok()
                );
            }
        }
        out
    }
}
