// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `kernel::uaccess::set_user_space`: a process-wide narrowing of what counts as the caller's memory (in a process of
//! its own, since the hook stays for the process's life).

use std::cell::Cell;

use kernel::code::EFAULT;
use kernel::uaccess::{set_user_space, UserPtr, UserSlice};

thread_local! {
    /// The one range this thread's "client" owns: `(base, len)`.
    static OWNED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

fn owned(addr: usize, len: usize) -> usize {
    let (base, n) = OWNED.with(|o| o.get());
    if addr >= base && addr - base < n {
        len.min(base + n - addr)
    } else {
        0
    }
}

#[test]
fn copies_reach_what_the_space_grants_and_fault_after_it_having_moved_the_bytes_before() {
    assert!(set_user_space(owned));
    assert!(!set_user_space(owned), "set once for the process");
    let mut client = [0u8; 32];
    let base = client.as_mut_ptr() as usize;
    OWNED.with(|o| o.set((base, 16)));

    // A write of 24 bytes of which 16 are the client's: those 16 land, then EFAULT, as at an unmapped page.
    let data = [0x5au8; 24];
    assert_eq!(
        UserSlice::new(UserPtr(base), 24)
            .writer()
            .write_slice(&data),
        Err(EFAULT)
    );
    assert_eq!(&client[..16], &[0x5a; 16]);
    assert_eq!(&client[16..], &[0; 16], "nothing past the granted bytes");

    // Reads: whole inside is fine, outside faults, straddling faults.
    let mut out = [0u8; 16];
    assert_eq!(
        UserSlice::new(UserPtr(base), 16)
            .reader()
            .read_slice(&mut out),
        Ok(())
    );
    assert_eq!(out, [0x5a; 16]);
    assert_eq!(
        UserSlice::new(UserPtr(base + 16), 8)
            .reader()
            .read_slice(&mut out[..8]),
        Err(EFAULT),
        "readable memory the space does not grant"
    );
    assert_eq!(
        UserSlice::new(UserPtr(base + 8), 16)
            .reader()
            .read_slice(&mut out),
        Err(EFAULT)
    );
    assert_eq!(
        UserSlice::new(UserPtr(base), 16).reader().is_zeroed(16),
        Ok(false)
    );
    assert_eq!(
        UserSlice::new(UserPtr(base + 16), 16)
            .reader()
            .is_zeroed(16),
        Err(EFAULT),
        "zeros the space does not grant are not read"
    );
}
