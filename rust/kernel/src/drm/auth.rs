// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DRM master and client authentication (`drivers/gpu/drm/drm_auth.c`, and the parts of `drm_file.c` that set a
//! new file's state).
//!
//! Every primary-node file belongs to a *master* object (`struct drm_master`): the first primary open while the
//! device has no current master creates a new one and becomes the current master (`drm_master_open`); later primary
//! opens share the current one. A master object holds the magic tokens of its files (`magic_map`) and the unique
//! name `SET_VERSION` ties to it. Render-node files have no master object and pass `DRM_AUTH` checks regardless.
//!
//! The state of all files of a device lives here, under one lock (the device's `master_mutex`), keyed by the file's
//! id, so the device, not the caller, decides who is master and who is authenticated.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::collections::BTreeMap;

use super::ioctl::Caller;
use crate::alloc;
use crate::error::code::{EACCES, EBUSY, EINVAL, ENOSPC};
use crate::error::Result;

/// Which kind of node a file was opened on (`drm_minor_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    /// `/dev/dri/cardN`: a primary node.
    Primary,
    /// `/dev/dri/renderDN`: a render node.
    Render,
}

/// Who opens a file: the node and the opening process's capabilities (sampled at open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opener {
    /// The node opened.
    pub node: NodeType,
    /// The process has CAP_SYS_ADMIN (root is authenticated from the start and may take the master).
    pub sys_admin: bool,
    /// The process has CAP_SYS_NICE (drivers gate high scheduling priorities on it).
    pub sys_nice: bool,
}

impl Opener {
    /// An unprivileged opener of a render node.
    pub const RENDER: Opener = Opener {
        node: NodeType::Render,
        sys_admin: false,
        sys_nice: false,
    };
    /// An unprivileged opener of a primary node.
    pub const PRIMARY: Opener = Opener {
        node: NodeType::Primary,
        sys_admin: false,
        sys_nice: false,
    };
}

/// Capabilities of the task making a call (what `capable()` looks at in `current`'s credentials).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// CAP_SYS_ADMIN.
    pub sys_admin: bool,
    /// CAP_SYS_NICE.
    pub sys_nice: bool,
}

/// Where the capabilities of the call a thread is making come from.
#[derive(Clone, Copy)]
enum CallerCaps {
    /// Known when the call started.
    Known(Capabilities),
    /// Read from the task only if a permission check asks (most calls make none), at most once per call.
    Lazy(fn() -> Capabilities),
}

std::thread_local! {
    /// The capabilities of the call this thread is making, while [`as_task`] or [`as_task_lazy`] runs it.
    static CURRENT: core::cell::Cell<Option<CallerCaps>> = const { core::cell::Cell::new(None) };
}

/// Runs `f` with `caps` as the thread's call capabilities, restoring the previous ones afterwards (also on unwind).
fn with_caller<R>(caps: CallerCaps, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<CallerCaps>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(caps))));
    f()
}

/// Runs `f` as a task holding `caps`: the permission checks made during it (`DRM_ROOT_ONLY`, SET/DROP_MASTER's
/// CAP_SYS_ADMIN rule, a driver's CAP_SYS_NICE check) see these, as the kernel checks the calling task's
/// credentials at the time of the call rather than the opener's. Outside it, a file's calls use the capabilities
/// its opener had.
pub fn as_task<R>(caps: Capabilities, f: impl FnOnce() -> R) -> R {
    with_caller(CallerCaps::Known(caps), f)
}

/// [`as_task`] with the task's capabilities read by `read` when the first permission check of the call asks, as
/// `capable()` reads `current`'s credentials only where a check is made: a call that checks nothing (nearly every
/// ioctl) never reads them.
pub fn as_task_lazy<R>(read: fn() -> Capabilities, f: impl FnOnce() -> R) -> R {
    with_caller(CallerCaps::Lazy(read), f)
}

/// The capabilities of the current call: those [`as_task`] set (or [`as_task_lazy`]'s reader gives, then kept for
/// the rest of the call), else `opener`'s.
pub(crate) fn current_caps(opener: Opener) -> Capabilities {
    match CURRENT.with(|c| c.get()) {
        Some(CallerCaps::Known(caps)) => caps,
        Some(CallerCaps::Lazy(read)) => {
            let caps = read();
            CURRENT.with(|c| c.set(Some(CallerCaps::Known(caps))));
            caps
        }
        None => Capabilities {
            sys_admin: opener.sys_admin,
            sys_nice: opener.sys_nice,
        },
    }
}

/// `DRM_IF_MAJOR`: the DRM interface version `SET_VERSION` reports.
pub const DRM_IF_MAJOR: i32 = 1;
/// `DRM_IF_MINOR`.
pub const DRM_IF_MINOR: i32 = 4;

/// A master object (`struct drm_master`).
#[derive(Default)]
struct Master {
    /// Magic → the file that holds it, or `None` once it authenticated (`idr_replace(.., NULL, ..)` keeps the slot).
    magics: BTreeMap<u32, Option<u64>>,
    /// The unique name `SET_VERSION` 1.1+ set (`drm_set_busid`).
    unique: Option<String>,
}

/// A file's part of the state (`drm_file`'s master fields).
struct FileAuth {
    master: Option<u64>,
    is_master: bool,
    was_master: bool,
    authenticated: bool,
    magic: u32,
    /// The process that opened the file (`drm_file::pid`, kept for files that were master).
    pid: u32,
}

#[derive(Default)]
struct State {
    /// `drm_device::master`.
    current: Option<u64>,
    masters: BTreeMap<u64, Master>,
    files: BTreeMap<u64, FileAuth>,
    next_master: u64,
}

impl State {
    fn file(&mut self, id: u64) -> Result<&mut FileAuth> {
        self.files.get_mut(&id).ok_or(EINVAL)
    }

    /// `drm_is_current_master_locked` (there are no leases without modesetting).
    fn is_current(&self, f: &FileAuth) -> bool {
        f.is_master && f.master.is_some() && f.master == self.current
    }

    /// `drm_new_set_master`: a fresh master object for `id`, which becomes the device's master.
    fn new_set_master(&mut self, id: u64) -> Result {
        alloc::check()?;
        let m = self.next_master;
        self.next_master += 1;
        self.masters.insert(m, Master::default());
        let f = self.file(id)?;
        f.master = Some(m);
        f.is_master = true;
        f.authenticated = true;
        f.was_master = true;
        self.current = Some(m);
        self.collect();
        Ok(())
    }

    /// Drops master objects no file and not the device refer to (`drm_master_put` reaching zero).
    fn collect(&mut self) {
        let (files, current) = (&self.files, self.current);
        self.masters
            .retain(|m, _| current == Some(*m) || files.values().any(|f| f.master == Some(*m)));
    }

    /// `drm_master_check_perm`: a file that was master may take or drop it again from its opening process;
    /// anyone else needs CAP_SYS_ADMIN.
    fn check_perm(&mut self, id: u64, sys_admin: bool) -> Result {
        let f = self.file(id)?;
        if (f.was_master && f.pid == std::process::id()) || sys_admin {
            Ok(())
        } else {
            Err(EACCES)
        }
    }
}

/// The master and authentication state of one device.
#[derive(Default)]
pub struct Auth {
    state: Mutex<State>,
}

impl Auth {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Registers file `id` opened by `opener` (`drm_file_alloc` then `drm_master_open` for a primary node): root is
    /// authenticated from the start; a primary file becomes master when the device has none, else shares the
    /// current master object.
    pub(crate) fn open(&self, id: u64, opener: Opener) -> Result {
        let mut s = self.lock();
        alloc::check()?;
        let f = FileAuth {
            master: None,
            is_master: false,
            was_master: false,
            authenticated: opener.sys_admin,
            magic: 0,
            pid: std::process::id(),
        };
        s.files.insert(id, f);
        if opener.node == NodeType::Primary {
            let res = match s.current {
                None => s.new_set_master(id),
                Some(m) => s.file(id).map(|f| f.master = Some(m)),
            };
            if let Err(e) = res {
                s.files.remove(&id);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Forgets file `id` (`drm_master_release`): its magic is freed, and the device loses its master if the file
    /// was it.
    pub(crate) fn release(&self, id: u64) {
        let mut s = self.lock();
        let Some(f) = s.files.remove(&id) else { return };
        if let Some(m) = f.master.and_then(|m| s.masters.get_mut(&m)) {
            if f.magic != 0 {
                m.magics.remove(&f.magic);
            }
        }
        if s.is_current(&f) {
            s.current = None;
        }
        s.collect();
    }

    /// The permission view of file `id` now (`drm_ioctl_permit`'s inputs), with the current call's capabilities.
    pub(crate) fn caller(&self, id: u64, opener: Opener) -> Caller {
        self.caller_view(id, opener, true)
    }

    /// [`Self::caller`] for `drm_ioctl_permit`, which reads the task's capabilities (`capable()`) only for a
    /// `ROOT_ONLY` ioctl: with `caps` false they are not read and both read as absent.
    pub(crate) fn caller_view(&self, id: u64, opener: Opener, caps: bool) -> Caller {
        let caps = if caps {
            current_caps(opener)
        } else {
            Capabilities::default()
        };
        let base = Caller {
            render_node: opener.node == NodeType::Render,
            authenticated: false,
            master: false,
            sys_admin: caps.sys_admin,
            sys_nice: caps.sys_nice,
        };
        if base.render_node {
            // Render clients have no master and pass DRM_AUTH whatever their flag says.
            return base;
        }
        let s = self.lock();
        match s.files.get(&id) {
            Some(f) => Caller {
                authenticated: f.authenticated,
                master: s.is_current(f),
                ..base
            },
            None => base,
        }
    }

    /// `drm_getmagic`: the file's magic, allocated (lowest free from 1 in its master's map) on first use.
    pub(crate) fn get_magic(&self, id: u64) -> Result<u32> {
        let mut s = self.lock();
        let f = s.file(id)?;
        if f.magic != 0 {
            return Ok(f.magic);
        }
        let m = f.master.ok_or(EINVAL)?;
        let map = &mut s.masters.get_mut(&m).ok_or(EINVAL)?.magics;
        let mut magic = 1u32;
        for k in map.keys() {
            if *k != magic {
                break;
            }
            magic = magic.checked_add(1).ok_or(ENOSPC)?;
        }
        if magic > i32::MAX as u32 {
            return Err(ENOSPC);
        }
        alloc::check()?;
        map.insert(magic, Some(id));
        s.file(id)?.magic = magic;
        Ok(magic)
    }

    /// `drm_authmagic`: authenticates the file holding `magic` in the caller's master's map, once; `EINVAL` for a
    /// magic that map does not hold (or that already authenticated).
    pub(crate) fn auth_magic(&self, id: u64, magic: u32) -> Result {
        let mut s = self.lock();
        let m = s.file(id)?.master.ok_or(EINVAL)?;
        let slot = s
            .masters
            .get_mut(&m)
            .and_then(|m| m.magics.get_mut(&magic))
            .ok_or(EINVAL)?;
        let target = slot.take().ok_or(EINVAL)?;
        if let Some(t) = s.files.get_mut(&target) {
            t.authenticated = true;
        }
        Ok(())
    }

    /// `drm_setmaster_ioctl`.
    pub(crate) fn set_master(&self, id: u64, sys_admin: bool) -> Result {
        let mut s = self.lock();
        s.check_perm(id, sys_admin)?;
        let f = s.file(id)?;
        let (is_master, master) = (f.is_master, f.master);
        if is_master && master.is_some() && master == s.current {
            return Ok(());
        }
        if s.current.is_some() {
            return Err(EBUSY);
        }
        let Some(m) = master else { return Err(EINVAL) };
        if !is_master {
            return s.new_set_master(id);
        }
        s.current = Some(m);
        s.file(id)?.was_master = true;
        Ok(())
    }

    /// `drm_dropmaster_ioctl`.
    pub(crate) fn drop_master(&self, id: u64, sys_admin: bool) -> Result {
        let mut s = self.lock();
        s.check_perm(id, sys_admin)?;
        let f = s.files.get(&id).ok_or(EINVAL)?;
        if !s.is_current(f) {
            return Err(EINVAL);
        }
        s.current = None;
        Ok(())
    }

    /// The unique name of the file's master object (`drm_getunique`): empty until `SET_VERSION` 1.1+.
    pub(crate) fn unique(&self, id: u64) -> Option<String> {
        let s = self.lock();
        let m = s.files.get(&id)?.master?;
        s.masters.get(&m)?.unique.clone()
    }

    /// `drm_set_busid`: ties `unique` to the file's master object.
    pub(crate) fn set_busid(&self, id: u64, unique: &str) -> Result {
        let mut s = self.lock();
        let m = s.file(id)?.master.ok_or(EINVAL)?;
        let mut name = String::new();
        name.try_reserve_exact(unique.len())
            .map_err(|_| crate::error::code::ENOMEM)?;
        name.push_str(unique);
        s.masters.get_mut(&m).ok_or(EINVAL)?.unique = Some(name);
        Ok(())
    }

    /// Whether file `id` is authenticated (`drm_file::authenticated`).
    pub(crate) fn authenticated(&self, id: u64) -> bool {
        self.lock().files.get(&id).is_some_and(|f| f.authenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_PRIMARY: Opener = Opener {
        sys_admin: true,
        ..Opener::PRIMARY
    };

    #[test]
    fn the_first_primary_opener_is_master_and_others_share_its_master() {
        let a = Auth::default();
        a.open(1, Opener::PRIMARY).unwrap();
        a.open(2, Opener::PRIMARY).unwrap();
        a.open(3, Opener::RENDER).unwrap();
        let c1 = a.caller(1, Opener::PRIMARY);
        assert!(c1.master && c1.authenticated);
        let c2 = a.caller(2, Opener::PRIMARY);
        assert!(!c2.master && !c2.authenticated);
        let c3 = a.caller(3, Opener::RENDER);
        assert!(c3.render_node && !c3.master);
        assert!(
            a.caller(4, ROOT_PRIMARY).sys_admin,
            "an unknown file still reports its capabilities"
        );
    }

    #[test]
    fn magics_authenticate_once_and_die_with_their_file() {
        let a = Auth::default();
        a.open(1, Opener::PRIMARY).unwrap();
        a.open(2, Opener::PRIMARY).unwrap();
        a.open(3, Opener::PRIMARY).unwrap();
        let m2 = a.get_magic(2).unwrap();
        assert_eq!(m2, 1);
        assert_eq!(a.get_magic(2).unwrap(), m2, "a file keeps its magic");
        assert_eq!(a.get_magic(3).unwrap(), 2);
        assert_eq!(a.auth_magic(1, 99), Err(EINVAL));
        a.auth_magic(1, m2).unwrap();
        assert!(a.authenticated(2) && !a.authenticated(3));
        assert_eq!(
            a.auth_magic(1, m2),
            Err(EINVAL),
            "a magic authenticates once"
        );
        a.release(3);
        a.open(4, Opener::PRIMARY).unwrap();
        assert_eq!(
            a.get_magic(4).unwrap(),
            2,
            "a closed file's magic is free again"
        );
    }

    #[test]
    fn set_and_drop_master_follow_drm_master_check_perm() {
        let a = Auth::default();
        a.open(1, Opener::PRIMARY).unwrap();
        a.open(2, Opener::PRIMARY).unwrap();
        assert_eq!(
            a.drop_master(2, false),
            Err(EACCES),
            "never master, no CAP_SYS_ADMIN"
        );
        assert_eq!(a.set_master(2, false), Err(EACCES));
        assert_eq!(
            a.set_master(2, true),
            Err(EBUSY),
            "root, but the device has a master"
        );
        a.set_master(1, false).unwrap();
        a.drop_master(1, false).unwrap();
        assert_eq!(a.drop_master(1, false), Err(EINVAL), "no longer master");
        a.set_master(2, true).unwrap();
        assert!(a.caller(2, Opener::PRIMARY).master && a.authenticated(2));
        assert!(!a.caller(1, Opener::PRIMARY).master);
        assert_eq!(a.set_master(1, false), Err(EBUSY));
        a.release(2);
        a.set_master(1, false).unwrap();
        assert!(
            a.caller(1, Opener::PRIMARY).master,
            "the old master object comes back"
        );
    }

    #[test]
    fn closing_the_master_leaves_the_next_opener_master() {
        let a = Auth::default();
        a.open(1, Opener::PRIMARY).unwrap();
        a.open(2, Opener::PRIMARY).unwrap();
        a.release(1);
        assert!(
            !a.caller(2, Opener::PRIMARY).master,
            "sharing files do not inherit the master"
        );
        a.open(3, Opener::PRIMARY).unwrap();
        assert!(a.caller(3, Opener::PRIMARY).master);
        a.open(4, ROOT_PRIMARY).unwrap();
        assert!(
            a.authenticated(4) && !a.caller(4, ROOT_PRIMARY).master,
            "root is authenticated, not master"
        );
    }

    #[test]
    fn capabilities_are_the_calling_tasks() {
        let a = Auth::default();
        a.open(1, ROOT_PRIMARY).unwrap();
        assert!(a.caller(1, ROOT_PRIMARY).sys_admin);
        let none = Capabilities::default();
        let inner = as_task(none, || {
            let nested = as_task(
                Capabilities {
                    sys_nice: true,
                    ..none
                },
                || a.caller(1, ROOT_PRIMARY),
            );
            assert!(nested.sys_nice && !nested.sys_admin);
            a.caller(1, ROOT_PRIMARY)
        });
        assert!(
            !inner.sys_admin && !inner.sys_nice,
            "root dropped its capabilities after the open"
        );
        assert!(inner.authenticated, "authentication was decided at open");
        assert!(
            a.caller(1, ROOT_PRIMARY).sys_admin,
            "restored after the call"
        );
    }

    #[test]
    fn lazy_capabilities_are_read_once_and_only_when_checked() {
        use core::sync::atomic::{AtomicU32, Ordering};
        static READS: AtomicU32 = AtomicU32::new(0);
        fn read() -> Capabilities {
            READS.fetch_add(1, Ordering::Relaxed);
            Capabilities {
                sys_admin: false,
                sys_nice: true,
            }
        }
        let a = Auth::default();
        a.open(1, ROOT_PRIMARY).unwrap();
        as_task_lazy(read, || ());
        assert_eq!(READS.load(Ordering::Relaxed), 0, "no check, no read");
        let (first, second) = as_task_lazy(read, || {
            (a.caller(1, ROOT_PRIMARY), a.caller(1, ROOT_PRIMARY))
        });
        assert_eq!(READS.load(Ordering::Relaxed), 1, "read once per call");
        assert!(first.sys_nice && !first.sys_admin && second == first);
        assert!(
            a.caller(1, ROOT_PRIMARY).sys_admin,
            "the opener's again after the call"
        );
    }

    #[test]
    fn the_unique_name_belongs_to_the_master_object() {
        let a = Auth::default();
        a.open(1, Opener::PRIMARY).unwrap();
        a.open(2, Opener::PRIMARY).unwrap();
        assert_eq!(a.unique(2), None);
        a.set_busid(1, "fb000000.gpu").unwrap();
        assert_eq!(
            a.unique(2).as_deref(),
            Some("fb000000.gpu"),
            "shared with the master's files"
        );
        a.release(1);
        a.open(3, Opener::PRIMARY).unwrap();
        assert_eq!(a.unique(3), None, "a new master object starts without one");
    }
}
