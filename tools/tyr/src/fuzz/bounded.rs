// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Literal steps that would block for long, made shorter. The generator only makes waits that end within 2 ms, but a
//! seed's literal steps ([`super::seed`]) carry whatever bytes a mutation left in them: a `SYNCOBJ_WAIT` with
//! WAIT_FOR_SUBMIT on a syncobj that nothing will give a fence, and a timeout years ahead, is a valid call that the
//! driver rightly sleeps through, and one input would then hold a fuzz campaign for as long. Before such a step runs,
//! its absolute timeout is brought to at most [`MAX_WAIT_NS`] from now — long enough for the model's jobs that a
//! traced client waited for (with `INT64_MAX`, as IGT and Mesa do) to end as they did in the trace — and
//! `SYNCOBJ_TRANSFER`'s wait-for-submit flag (a wait of up to 10 s for a fence to appear) is cleared; everything else
//! about the call (its handles, counts, flags and pointers) stays as the input has it.

use kernel::uapi::ioctl::{
    DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, DRM_IOCTL_SYNCOBJ_TRANSFER, DRM_IOCTL_SYNCOBJ_WAIT,
};

use super::call::Step;

/// The longest a literal wait may last: 1 s.
pub const MAX_WAIT_NS: u64 = 1_000_000_000;

/// `DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT`.
const WAIT_FOR_SUBMIT: u32 = 1 << 1;

/// The DRM core picks the handler by the command's type and number alone (`drm_ioctl`); its size and direction
/// only say how much is copied.
fn same_ioctl(cmd: u32, known: u32) -> bool {
    cmd & 0xffff == known & 0xffff
}

/// Bounds the blocking of `step` as the module says, `now` being `CLOCK_MONOTONIC` in ns.
pub fn bound_blocking(step: &mut Step, now: u64) {
    let Step::Ioctl(call) = step else {
        return;
    };
    if same_ioctl(call.cmd, DRM_IOCTL_SYNCOBJ_TRANSFER) {
        if let Some(flags) = call.bytes.get_mut(24..28) {
            let f = u32::from_ne_bytes(flags.try_into().expect("four bytes")) & !WAIT_FOR_SUBMIT;
            flags.copy_from_slice(&f.to_ne_bytes());
        }
        return;
    }
    let timeout_at = if same_ioctl(call.cmd, DRM_IOCTL_SYNCOBJ_WAIT) {
        8
    } else if same_ioctl(call.cmd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT) {
        16
    } else {
        return;
    };
    if let Some(field) = call.bytes.get_mut(timeout_at..timeout_at + 8) {
        // The field is signed in the uAPI (`__s64`): a negative one is already in the past.
        let t = i64::from_ne_bytes(field.try_into().expect("eight bytes"));
        let latest = now.saturating_add(MAX_WAIT_NS);
        if t > 0 && t as u64 > latest {
            field.copy_from_slice(&(latest as i64).to_ne_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::call::{Call, PtrKind};

    fn call(cmd: u32, bytes: Vec<u8>) -> Step {
        Step::Ioctl(Call {
            file: 0,
            cmd,
            arg: PtrKind::Valid,
            bytes,
            bufs: Vec::new(),
            links: Vec::new(),
        })
    }

    fn bytes(step: &Step) -> &[u8] {
        match step {
            Step::Ioctl(c) => &c.bytes,
            _ => unreachable!(),
        }
    }

    fn at(b: &[u8], off: usize) -> i64 {
        i64::from_ne_bytes(b[off..off + 8].try_into().unwrap())
    }

    #[test]
    fn far_timeouts_come_within_the_bound_and_near_ones_stay() {
        let now = 5_000_000_000;
        for (cmd, off) in [
            (DRM_IOCTL_SYNCOBJ_WAIT, 8),
            (DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, 16),
        ] {
            let mut b = vec![0xAB; 40];
            b[off..off + 8].copy_from_slice(&i64::MAX.to_ne_bytes());
            let mut s = call(cmd, b.clone());
            bound_blocking(&mut s, now);
            assert_eq!(at(bytes(&s), off), (now + MAX_WAIT_NS) as i64);
            b[off..off + 8].copy_from_slice(&((now + 5) as i64).to_ne_bytes());
            let mut near = call(cmd, b.clone());
            bound_blocking(&mut near, now);
            assert_eq!(bytes(&near), b, "a near timeout is left alone");
            b[off..off + 8].copy_from_slice(&(-5i64).to_ne_bytes());
            let mut past = call(cmd, b.clone());
            bound_blocking(&mut past, now);
            assert_eq!(bytes(&past), b, "a negative one is a poll");
        }
    }

    #[test]
    fn the_command_size_does_not_matter_and_short_arguments_are_left() {
        let now = 7;
        // The same number with another size: the DRM core still runs SYNCOBJ_WAIT.
        let resized = (DRM_IOCTL_SYNCOBJ_WAIT & !(0x3fff << 16)) | (16 << 16);
        let mut b = vec![0; 16];
        b[8..16].copy_from_slice(&i64::MAX.to_ne_bytes());
        let mut s = call(resized, b);
        bound_blocking(&mut s, now);
        assert_eq!(at(bytes(&s), 8), (now + MAX_WAIT_NS) as i64);
        let short = vec![0xFF; 12];
        let mut s = call(DRM_IOCTL_SYNCOBJ_WAIT, short.clone());
        bound_blocking(&mut s, now);
        assert_eq!(bytes(&s), short);
    }

    #[test]
    fn transfer_loses_wait_for_submit_only() {
        let mut b = vec![0; 32];
        b[24..28].copy_from_slice(&u32::MAX.to_ne_bytes());
        let mut s = call(DRM_IOCTL_SYNCOBJ_TRANSFER, b);
        bound_blocking(&mut s, 0);
        assert_eq!(bytes(&s)[24..28], (!WAIT_FOR_SUBMIT).to_ne_bytes());
    }
}
