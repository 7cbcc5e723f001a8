// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! SYNCOBJ ioctls against a model (proptest), and through the DRM core's dispatcher on a render node.
//!
//! Arguments are `kernel::uapi` structs with arrays passed as real pointers into this process (read and written
//! through `uaccess`); every errno follows `Documentation/uapi.md#per-ioctl-checks`.

mod syncobj_common;
mod syncobj_dispatch;
use syncobj_common::*;
use syncobj_dispatch::RenderFile;

// ---- model ----

#[derive(Clone, Debug)]
enum Op {
    /// Submit the next point, `gap` above the last, with an unsignalled fence.
    Submit { gap: u64 },
    /// Signal the `k`-th still-pending fence (modulo how many are pending).
    Signal { k: usize },
    /// Submit a signalled point through TIMELINE_SIGNAL.
    SignalPoint { gap: u64 },
    /// TIMELINE_SIGNAL with random allocation failures: on `ENOMEM` the timeline must be as before.
    SignalPointFaulty { gap: u64, seed: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..4).prop_map(|gap| Op::Submit { gap }),
        3 => any::<usize>().prop_map(|k| Op::Signal { k }),
        1 => (1u64..4).prop_map(|gap| Op::SignalPoint { gap }),
        1 => (1u64..4, any::<u64>()).prop_map(|(gap, seed)| Op::SignalPointFaulty { gap, seed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A timeline against the obvious model: a list of (point, signalled). QUERY is the longest all-signalled
    /// prefix's last point, LAST_SUBMITTED the last point, and a polling wait on point `p` succeeds exactly when
    /// every submitted point up to the first one `>= p` has signalled.
    #[test]
    fn timeline_matches_a_model(ops in prop::collection::vec(op(), 1..40)) {
        let t = SyncobjTable::new();
        let h = create(&t, 0);
        let obj = t.lookup(h).unwrap();
        let mut model: Vec<(u64, bool)> = Vec::new();
        let mut pending: Vec<(usize, DmaFence)> = Vec::new();
        for op in ops {
            let last = model.last().map_or(0, |m| m.0);
            match op {
                Op::Submit { gap } => {
                    let f = fence();
                    obj.add_point(f.clone(), last + gap).unwrap();
                    pending.push((model.len(), f));
                    model.push((last + gap, false));
                }
                Op::Signal { k } if !pending.is_empty() => {
                    let (i, f) = pending.remove(k % pending.len());
                    f.signal().unwrap();
                    model[i].1 = true;
                }
                Op::Signal { .. } => {}
                Op::SignalPoint { gap } => {
                    tl_signal(&t, &[h], &[last + gap]).unwrap();
                    model.push((last + gap, true));
                }
                Op::SignalPointFaulty { gap, seed } => {
                    let r = {
                        let _g = fault::fail_random(3, seed);
                        tl_signal(&t, &[h], &[last + gap])
                    };
                    match r {
                        Ok(()) => model.push((last + gap, true)),
                        Err(e) => prop_assert_eq!(e, ENOMEM),
                    }
                }
            }
            let prefix = model.iter().take_while(|m| m.1).last().map_or(0, |m| m.0);
            prop_assert_eq!(query(&t, &[h], 0).unwrap(), vec![prefix]);
            let submitted = model.last().map_or(0, |m| m.0);
            prop_assert_eq!(query(&t, &[h], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED).unwrap(), vec![submitted]);
            for p in 1..=submitted + 1 {
                let expect = match model.iter().position(|m| m.0 >= p) {
                    Some(i) => Ok(model[..=i].iter().all(|m| m.1)),
                    None => Err(EINVAL),
                };
                let got = match tl_wait(&t, &[h], &[p], 0, 0) {
                    Ok(_) => Ok(true),
                    Err(e) if e == ETIME => Ok(false),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(got, expect, "point {}", p);
            }
        }
    }
}

// ---- through the DRM core's dispatcher ----

#[test]
fn the_core_table_entries_run_the_handlers_on_a_render_node() {
    use kernel::uapi::ioctl::{iowr, DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_SIGNAL};

    let file = RenderFile::new();
    let mut c = drm_syncobj_create {
        handle: 0,
        flags: 0,
    };
    file.call(DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
    assert_eq!(c.handle, 1);
    let handles = [c.handle];
    let mut s = array(&handles);
    file.call(DRM_IOCTL_SYNCOBJ_SIGNAL, &mut s).unwrap();
    // A pre-deadline client passes the 32-byte wait struct: zero-extended, and first_signaled comes back.
    let mut w = wait_args(&handles, 0, 0);
    w.first_signaled = 7;
    let old_wait = iowr(0xc3, 32);
    file.call(old_wait, &mut w).unwrap();
    assert_eq!(w.first_signaled, 0);
}
