// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What a failed call must leave as it was, taken before and after each step and compared.

use super::*;

/// What a failed call must leave as it was: every file's snapshot, every primary file's master and authentication
/// state, and the process's descriptors (a failed call hands out none; the kernel side may close some of its own).
pub struct Snapshot {
    pub(super) files: Vec<FileSnapshot>,
    pub(super) auth: Vec<(bool, bool)>,
    /// Per GEM id a file holds: the fences in its reservation object (what DMA_BUF_IOCTL_IMPORT_SYNC_FILE adds).
    pub(super) resv: std::collections::BTreeMap<u64, usize>,
    /// The names of the tracked dma-bufs (DMA_BUF_SET_NAME).
    pub(super) names: Vec<(i32, String)>,
    pub(super) fds: Vec<FdId>,
}

impl Snapshot {
    /// The first difference from `later`, if any.
    pub fn diff(&self, later: &Snapshot) -> Option<String> {
        if let Some(d) = self
            .files
            .iter()
            .zip(&later.files)
            .find_map(|(a, b)| a.diff(b))
        {
            return Some(d);
        }
        if self.resv != later.resv {
            return Some(format!(
                "reservation fences changed: {:?} -> {:?}",
                self.resv, later.resv
            ));
        }
        if self.names != later.names {
            return Some(format!(
                "dma-buf names changed: {:?} -> {:?}",
                self.names, later.names
            ));
        }
        if self.auth != later.auth {
            return Some(format!(
                "(authenticated, master) of the files changed: {:?} -> {:?}",
                self.auth, later.auth
            ));
        }
        // A write-only pipe end is the kernel side's half of an anonymous file, which it releases lazily (a merged
        // sync_file whose copy-back faulted was closed on the caller's side and waits for the next reap). Only
        // anonymous files count: another thread of the process may open a named one meanwhile (`fds::anonymous`).
        let new: Vec<i32> = later
            .fds
            .iter()
            .filter(|x| {
                !self.fds.contains(x) && !fds::is_kernel_pipe_end(x.0) && fds::anonymous(x.0)
            })
            .map(|x| x.0)
            .collect();
        if !new.is_empty() {
            return Some(format!("new descriptors {new:?}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            files: vec![],
            auth: vec![],
            resv: Default::default(),
            names: vec![],
            fds: fds::open_ids(),
        }
    }

    #[test]
    fn a_new_descriptor_is_a_change_but_the_kernel_sides_pipe_end_is_not() {
        let before = snap();
        let mut p = [0; 2];
        // SAFETY: `p` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let diff = before.diff(&snap()).expect("the read end is new");
        // Other tests run beside this one: look for these two numbers only.
        let listed: Vec<String> = diff
            .trim_start_matches("new descriptors [")
            .trim_end_matches(']')
            .split(", ")
            .map(String::from)
            .collect();
        assert!(listed.contains(&p[0].to_string()), "{diff}");
        assert!(!listed.contains(&p[1].to_string()), "{diff}");
        let mut changed = snap();
        changed.auth = vec![(true, false)];
        assert!(snap().diff(&changed).is_some_and(|d| d.contains("master")));
        for fd in p {
            // SAFETY: the pipe made above.
            unsafe { libc::close(fd) };
        }
    }

    #[test]
    fn only_anonymous_files_count_as_handed_out() {
        use std::os::fd::AsRawFd;
        let before = snap();
        // What glibc's malloc opens on a new thread: a named file, not one a call could hand out.
        let named = std::fs::File::open("/sys/devices/system/cpu/online")
            .or_else(|_| std::fs::File::open("/proc/self/status"))
            .unwrap();
        let ev = fds::eventfd().unwrap();
        assert!(!fds::anonymous(named.as_raw_fd()));
        assert!(fds::anonymous(ev));
        let diff = before.diff(&snap()).expect("the eventfd is new");
        let listed: Vec<i32> = diff
            .trim_start_matches("new descriptors [")
            .trim_end_matches(']')
            .split(", ")
            .filter_map(|n| n.parse().ok())
            .collect();
        assert!(listed.contains(&ev), "{diff}");
        assert!(!listed.contains(&named.as_raw_fd()), "{diff}");
        // SAFETY: the eventfd made above.
        unsafe { libc::close(ev) };
        assert!(!fds::anonymous(ev), "a closed descriptor is nobody's");
    }
}
