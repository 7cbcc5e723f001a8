// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! An open DRM file (`struct drm_file`): its GEM handles, the driver's per-file data, and the ioctl entry point
//! with the DRM core's own table (`drm_ioctls[]` in `drm_ioctl.c`): every core number upstream defines, with
//! upstream's permission flags, for a driver without modesetting. The handlers beyond VERSION, GET_CAP, GEM_CLOSE,
//! PRIME and the SYNCOBJ family (handed to [`super::syncobj::ioctl`]) are in `core_ioctl`.

use crate::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::auth::{NodeType, Opener};
use super::core_ioctl as core;
use super::device::{Device, DeviceDriver, DriverFeatures, DriverInfo};
use super::gem::{HandleTable, IntoGemObject};
use super::ioctl::{
    dispatch_with, ioc_nr, ioc_type, Caller, IoctlData, IoctlDesc, IoctlFlags, IoctlTables,
    DRM_IOCTL_BASE,
};
use super::syncobj::fd as syncobj_fd;
use super::syncobj::ioctl as syncobj_ioctl;
use super::syncobj::SyncobjTable;
use crate::alloc;
use crate::error::code::{EACCES, EINVAL, ENODEV, EOPNOTSUPP};
use crate::error::Result;
use crate::uaccess::{UserPtr, UserSlice};
use crate::uapi::ioctl::{self as nr, *};
use crate::uapi::{
    drm_gem_close, drm_get_cap, drm_prime_handle, drm_version, DRM_CAP_PRIME, DRM_CAP_SYNCOBJ,
    DRM_CAP_SYNCOBJ_TIMELINE, DRM_CAP_TIMESTAMP_MONOTONIC, DRM_CLOEXEC, DRM_PRIME_CAP_EXPORT,
    DRM_PRIME_CAP_IMPORT, DRM_RDWR,
};
use crate::uapi::{
    drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy, drm_syncobj_timeline_array,
    drm_syncobj_timeline_wait, drm_syncobj_transfer, drm_syncobj_wait,
};

// The syncobj structs are marked in `syncobj::ioctl`.
crate::impl_uapi_pod!(
    drm_version {
        version_major,
        version_minor,
        version_patchlevel,
        __bindgen_padding_0,
        name_len,
        name,
        date_len,
        date,
        desc_len,
        desc
    },
    drm_gem_close { handle, pad },
    drm_get_cap { capability, value },
    drm_prime_handle { handle, flags, fd },
);

/// Source of file ids (the key of a file's master and authentication state in its device).
static NEXT_FILE_ID: AtomicU64 = AtomicU64::new(1);

/// An open file of a DRM device.
pub struct File<T: DeviceDriver> {
    dev: Arc<Device<T>>,
    objects: HandleTable<T::Object>,
    syncobjs: SyncobjTable,
    id: u64,
    opener: Opener,
    client_name: Mutex<Option<String>>,
    data: T::File,
}

impl<T: DeviceDriver> File<T> {
    /// Opens `dev` (`drm_open`) on the node `opener` names, with its capabilities. The device decides the file's
    /// master and authentication state (`drm_master_open`). `ENODEV` once the device is unplugged.
    pub fn open(dev: &Arc<Device<T>>, opener: Opener) -> Result<Arc<Self>> {
        if dev.is_unplugged() {
            return Err(ENODEV);
        }
        let data = T::open(dev)?;
        let id = NEXT_FILE_ID.fetch_add(1, Ordering::Relaxed);
        dev.auth.open(id, opener)?;
        let file = File {
            dev: dev.clone(),
            objects: HandleTable::default(),
            syncobjs: SyncobjTable::new(),
            id,
            opener,
            client_name: Mutex::new(None),
            data,
        };
        // On failure the file is dropped here, which releases its state in the device again.
        let file = alloc::try_arc(file)?;
        dev.add_file(id, Arc::downgrade(&file))?;
        Ok(file)
    }

    /// The file's id, unique in the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Who opened the file: node and capabilities.
    pub fn opener(&self) -> Opener {
        self.opener
    }

    /// The name the client gave itself with SET_CLIENT_NAME (`drm_file::client_name`), if any.
    pub fn client_name(&self) -> Option<String> {
        self.client_name.lock().clone()
    }

    pub(crate) fn set_client_name(&self, name: Option<String>) {
        *self.client_name.lock() = name;
    }

    /// Whether the file is a render-node file.
    pub fn is_render(&self) -> bool {
        self.opener.node == NodeType::Render
    }

    /// The device.
    pub fn device(&self) -> &Arc<Device<T>> {
        &self.dev
    }

    /// The driver's per-file data.
    pub fn data(&self) -> &T::File {
        &self.data
    }

    /// The file's GEM handles.
    pub fn objects(&self) -> &HandleTable<T::Object> {
        &self.objects
    }

    /// The file's syncobj handles.
    pub fn syncobjs(&self) -> &SyncobjTable {
        &self.syncobjs
    }

    /// What the permission checks see now: node, the calling task's capabilities ([`super::auth::as_task`], else
    /// the opener's), and the device's view of whether the file is authenticated and the current master
    /// (`drm_is_current_master`), which change with SET/DROP_MASTER and AUTH_MAGIC.
    pub fn caller(&self) -> Caller {
        self.dev.auth.caller(self.id, self.opener)
    }

    /// The name of DRM ioctl `cmd` in the core's table or the driver's (`VERSION`, `SYNCOBJ_WAIT`, the driver's own
    /// names), `None` for a command of another type or a number neither table has.
    pub fn ioctl_name(cmd: u32) -> Option<&'static str> {
        if ioc_type(cmd) != DRM_IOCTL_BASE {
            return None;
        }
        let tables = IoctlTables {
            core: <T as CoreIoctls>::CORE,
            driver: T::IOCTLS,
        };
        tables.lookup(ioc_nr(cmd)).ok().map(|d| d.name)
    }

    /// `drm_ioctl()`: `ENODEV` on an unplugged device, then dispatch through the core's table and the driver's with
    /// the core's argument rules ([`dispatch_with`]).
    pub fn ioctl(&self, cmd: u32, arg: UserPtr) -> Result {
        if self.dev.is_unplugged() {
            return Err(ENODEV);
        }
        let tables = IoctlTables {
            core: <T as CoreIoctls>::CORE,
            driver: T::IOCTLS,
        };
        // One span per ioctl (what `tyr trace` shows as a timeline row); its name is looked up only when some
        // subscriber wants the span. The file's id and the argument's address let `tyr fuzz-seed` rebuild the call
        // from the `copy_from_user` records inside the span.
        let span = tracing::debug_span!(
            "ioctl",
            ioctl = tracing::field::Empty,
            cmd = cmd,
            file = self.id,
            arg = arg.0 as u64,
            result = tracing::field::Empty
        );
        if !span.is_disabled() {
            span.record("ioctl", Self::ioctl_name(cmd).unwrap_or("?"));
        }
        let _entered = span.enter();
        // `drm_ioctl_kernel` checks the unplug again after the copy-in, then the permission of that moment.
        let caller = |flags: IoctlFlags| {
            if self.dev.is_unplugged() {
                Err(ENODEV)
            } else {
                let caps = flags.contains(IoctlFlags::ROOT_ONLY);
                Ok(self.dev.auth.caller_view(self.id, self.opener, caps))
            }
        };
        let res = dispatch_with(&tables, self, caller, cmd, arg);
        if !span.is_disabled() {
            match res {
                Ok(()) => span.record("result", 0),
                Err(e) => span.record("result", e.to_errno()),
            };
        }
        res
    }

    /// The object a CPU mapping of `len` bytes at the fake offset `offset` shows (`drm_gem_mmap` up to the driver's
    /// mmap): `EINVAL` for an offset no object has or a mapping longer than the object, `EACCES` for an object this
    /// file holds no handle to. Returns the object; the mapping starts at its first byte.
    pub fn mmap_object(&self, offset: u64, len: u64) -> Result<Arc<T::Object>> {
        let obj = self.dev.mmap_object(offset).map_err(|_| EINVAL)?;
        if self.objects.find(&obj).is_none() {
            return Err(EACCES);
        }
        if len > obj.gem().size() {
            return Err(EINVAL);
        }
        Ok(obj)
    }
}

impl<T: DeviceDriver> Drop for File<T> {
    fn drop(&mut self) {
        // `drm_release`: the handles go with the file; what they kept alive is released unless shared elsewhere. The
        // master goes too if the file held it (`drm_master_release`).
        self.objects.clear();
        self.dev.auth.release(self.id);
        self.dev.remove_file(self.id);
        self.dev.release_names();
    }
}

/// The DRM core's ioctl table for a driver (`drm_ioctls[]`), in number order. A number without an entry (the
/// legacy numbers upstream no longer serves, and everything past `GEM_CHANGE_HANDLE`) is `EINVAL` before any copy.
trait CoreIoctls: DeviceDriver {
    const CORE: &'static [IoctlDesc<File<Self>>];
}

/// Upstream's flag combinations, by the names the table uses.
const RENDER: IoctlFlags = IoctlFlags::RENDER_ALLOW;
const NONE: IoctlFlags = IoctlFlags::empty();
const AUTH: IoctlFlags = IoctlFlags::AUTH;
const MASTER: IoctlFlags = IoctlFlags::MASTER;
const ROOT_MASTER: IoctlFlags = IoctlFlags::AUTH
    .union(IoctlFlags::MASTER)
    .union(IoctlFlags::ROOT_ONLY);

/// One table entry: the kernel's own command (direction and size, as `drm.h` defines it), flags, name, handler.
const fn def<T: DeviceDriver>(
    cmd: u32,
    flags: IoctlFlags,
    name: &'static str,
    func: fn(&File<T>, &mut IoctlData) -> Result,
) -> IoctlDesc<File<T>> {
    IoctlDesc {
        cmd,
        flags,
        name,
        func,
    }
}

impl<T: DeviceDriver> CoreIoctls for T {
    #[rustfmt::skip]
    const CORE: &'static [IoctlDesc<File<Self>>] = &[
        def(DRM_IOCTL_VERSION, RENDER, "VERSION", version::<T>),
        def(DRM_IOCTL_GET_UNIQUE, NONE, "GET_UNIQUE", core::get_unique::<T>),
        def(DRM_IOCTL_GET_MAGIC, NONE, "GET_MAGIC", core::get_magic::<T>),
        def(DRM_IOCTL_GET_CLIENT, NONE, "GET_CLIENT", core::get_client::<T>),
        def(DRM_IOCTL_GET_STATS, NONE, "GET_STATS", core::get_stats::<T>),
        def(DRM_IOCTL_SET_VERSION, MASTER, "SET_VERSION", core::set_version::<T>),
        def(DRM_IOCTL_GEM_CLOSE, RENDER, "GEM_CLOSE", gem_close::<T>),
        def(DRM_IOCTL_GEM_FLINK, AUTH, "GEM_FLINK", core::gem_flink::<T>),
        def(DRM_IOCTL_GEM_OPEN, AUTH, "GEM_OPEN", core::gem_open::<T>),
        def(DRM_IOCTL_GET_CAP, RENDER, "GET_CAP", get_cap::<T>),
        def(DRM_IOCTL_SET_CLIENT_CAP, NONE, "SET_CLIENT_CAP", core::set_client_cap::<T>),
        def(DRM_IOCTL_SET_UNIQUE, ROOT_MASTER, "SET_UNIQUE", core::invalid_op::<T>),
        def(DRM_IOCTL_AUTH_MAGIC, MASTER, "AUTH_MAGIC", core::auth_magic::<T>),
        def(nr::iowr(0x12, 4), ROOT_MASTER, "BLOCK", core::noop::<T>),
        def(nr::iowr(0x13, 4), ROOT_MASTER, "UNBLOCK", core::noop::<T>),
        def(DRM_IOCTL_SET_MASTER, NONE, "SET_MASTER", core::set_master::<T>),
        def(DRM_IOCTL_DROP_MASTER, NONE, "DROP_MASTER", core::drop_master::<T>),
        def(nr::iowr(0x27, 4), ROOT_MASTER, "ADD_DRAW", core::noop::<T>),
        def(nr::iowr(0x28, 4), ROOT_MASTER, "RM_DRAW", core::noop::<T>),
        def(nr::iow(0x2c, 8), AUTH, "FINISH", core::noop::<T>),
        def(DRM_IOCTL_PRIME_HANDLE_TO_FD, RENDER, "PRIME_HANDLE_TO_FD", prime_handle_to_fd::<T>),
        def(DRM_IOCTL_PRIME_FD_TO_HANDLE, RENDER, "PRIME_FD_TO_HANDLE", prime_fd_to_handle::<T>),
        def(nr::iowr(0x3a, 24), NONE, "WAIT_VBLANK", core::no_vblank::<T>),
        def(nr::iowr(0x3b, 24), NONE, "CRTC_GET_SEQUENCE", core::modeset_only::<T>),
        def(nr::iowr(0x3c, 24), NONE, "CRTC_QUEUE_SEQUENCE", core::modeset_only::<T>),
        def(nr::iow(0x3f, 24), ROOT_MASTER, "UPDATE_DRAW", core::noop::<T>),
        def(nr::iowr(0xa0, 64), NONE, "MODE_GETRESOURCES", core::modeset_only::<T>),
        def(nr::iowr(0xa1, 104), NONE, "MODE_GETCRTC", core::modeset_only::<T>),
        def(nr::iowr(0xa2, 104), MASTER, "MODE_SETCRTC", core::modeset_only::<T>),
        def(nr::iowr(0xa3, 28), MASTER, "MODE_CURSOR", core::modeset_only::<T>),
        def(nr::iowr(0xa4, 32), NONE, "MODE_GETGAMMA", core::modeset_only::<T>),
        def(nr::iowr(0xa5, 32), MASTER, "MODE_SETGAMMA", core::modeset_only::<T>),
        def(nr::iowr(0xa6, 20), NONE, "MODE_GETENCODER", core::modeset_only::<T>),
        def(nr::iowr(0xa7, 80), NONE, "MODE_GETCONNECTOR", core::modeset_only::<T>),
        def(nr::iowr(0xa8, 72), MASTER, "MODE_ATTACHMODE", core::noop::<T>),
        def(nr::iowr(0xa9, 72), MASTER, "MODE_DETACHMODE", core::noop::<T>),
        def(nr::iowr(0xaa, 64), NONE, "MODE_GETPROPERTY", core::modeset_only::<T>),
        def(nr::iowr(0xab, 16), MASTER, "MODE_SETPROPERTY", core::modeset_only::<T>),
        def(nr::iowr(0xac, 16), NONE, "MODE_GETPROPBLOB", core::modeset_only::<T>),
        def(nr::iowr(0xad, 28), NONE, "MODE_GETFB", core::modeset_only::<T>),
        def(nr::iowr(0xae, 28), NONE, "MODE_ADDFB", core::modeset_only::<T>),
        def(nr::iowr(0xaf, 4), NONE, "MODE_RMFB", core::modeset_only::<T>),
        def(nr::iowr(0xb0, 24), MASTER, "MODE_PAGE_FLIP", core::modeset_only::<T>),
        def(nr::iowr(0xb1, 24), MASTER, "MODE_DIRTYFB", core::modeset_only::<T>),
        def(nr::iowr(0xb2, 32), NONE, "MODE_CREATE_DUMB", core::create_dumb::<T>),
        def(nr::iowr(0xb3, 16), NONE, "MODE_MAP_DUMB", core::map_dumb::<T>),
        def(nr::iowr(0xb4, 4), NONE, "MODE_DESTROY_DUMB", core::destroy_dumb::<T>),
        def(nr::iowr(0xb5, 16), NONE, "MODE_GETPLANERESOURCES", core::modeset_only::<T>),
        def(nr::iowr(0xb6, 32), NONE, "MODE_GETPLANE", core::modeset_only::<T>),
        def(nr::iowr(0xb7, 48), MASTER, "MODE_SETPLANE", core::modeset_only::<T>),
        def(nr::iowr(0xb8, 104), NONE, "MODE_ADDFB2", core::modeset_only::<T>),
        def(nr::iowr(0xb9, 32), NONE, "MODE_OBJ_GETPROPERTIES", core::modeset_only::<T>),
        def(nr::iowr(0xba, 24), MASTER, "MODE_OBJ_SETPROPERTY", core::modeset_only::<T>),
        def(nr::iowr(0xbb, 36), MASTER, "MODE_CURSOR2", core::modeset_only::<T>),
        def(nr::iowr(0xbc, 56), MASTER, "MODE_ATOMIC", core::modeset_only::<T>),
        def(nr::iowr(0xbd, 16), NONE, "MODE_CREATEPROPBLOB", core::modeset_only::<T>),
        def(nr::iowr(0xbe, 4), NONE, "MODE_DESTROYPROPBLOB", core::modeset_only::<T>),
        def(DRM_IOCTL_SYNCOBJ_CREATE, RENDER, "SYNCOBJ_CREATE", syncobj_create::<T>),
        def(DRM_IOCTL_SYNCOBJ_DESTROY, RENDER, "SYNCOBJ_DESTROY", syncobj_destroy::<T>),
        def(syncobj_fd::DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, RENDER, "SYNCOBJ_HANDLE_TO_FD", syncobj_handle_to_fd::<T>),
        def(syncobj_fd::DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, RENDER, "SYNCOBJ_FD_TO_HANDLE", syncobj_fd_to_handle::<T>),
        def(DRM_IOCTL_SYNCOBJ_WAIT, RENDER, "SYNCOBJ_WAIT", syncobj_wait::<T>),
        def(DRM_IOCTL_SYNCOBJ_RESET, RENDER, "SYNCOBJ_RESET", syncobj_reset::<T>),
        def(DRM_IOCTL_SYNCOBJ_SIGNAL, RENDER, "SYNCOBJ_SIGNAL", syncobj_signal::<T>),
        def(nr::iowr(0xc6, 24), MASTER, "MODE_CREATE_LEASE", core::modeset_only::<T>),
        def(nr::iowr(0xc7, 16), MASTER, "MODE_LIST_LESSEES", core::modeset_only::<T>),
        def(nr::iowr(0xc8, 16), MASTER, "MODE_GET_LEASE", core::modeset_only::<T>),
        def(nr::iowr(0xc9, 4), MASTER, "MODE_REVOKE_LEASE", core::modeset_only::<T>),
        def(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, RENDER, "SYNCOBJ_TIMELINE_WAIT", syncobj_timeline_wait::<T>),
        def(DRM_IOCTL_SYNCOBJ_QUERY, RENDER, "SYNCOBJ_QUERY", syncobj_query::<T>),
        def(DRM_IOCTL_SYNCOBJ_TRANSFER, RENDER, "SYNCOBJ_TRANSFER", syncobj_transfer::<T>),
        def(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, RENDER, "SYNCOBJ_TIMELINE_SIGNAL", syncobj_timeline_signal::<T>),
        def(nr::iowr(0xce, 104), NONE, "MODE_GETFB2", core::modeset_only::<T>),
        def(DRM_IOCTL_SYNCOBJ_EVENTFD, RENDER, "SYNCOBJ_EVENTFD", syncobj_eventfd::<T>),
        def(nr::iowr(0xd0, 8), NONE, "MODE_CLOSEFB", core::modeset_only::<T>),
        def(DRM_IOCTL_SET_CLIENT_NAME, RENDER, "SET_CLIENT_NAME", core::set_client_name::<T>),
        def(DRM_IOCTL_GEM_CHANGE_HANDLE, RENDER, "GEM_CHANGE_HANDLE", core::invalid_op::<T>),
    ];
}

/// The syncobj ioctls need `DRIVER_SYNCOBJ` (and the timeline ones `DRIVER_SYNCOBJ_TIMELINE`), else `EOPNOTSUPP`.
fn syncobj_feature<T: DeviceDriver>(timeline: bool) -> Result {
    let need = if timeline {
        DriverFeatures::SYNCOBJ_TIMELINE
    } else {
        DriverFeatures::SYNCOBJ
    };
    if T::FEATURES.contains(need) {
        Ok(())
    } else {
        Err(EOPNOTSUPP)
    }
}

macro_rules! syncobj_handlers {
    ($($name:ident => $func:path, $arg:ty, $timeline:expr;)*) => {
        $(
            fn $name<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
                let args = d.get::<$arg>()?;
                syncobj_feature::<T>($timeline)?;
                $func(&f.syncobjs, args)
            }
        )*
    };
}

syncobj_handlers! {
    syncobj_create => syncobj_ioctl::create, drm_syncobj_create, false;
    syncobj_destroy => syncobj_ioctl::destroy, drm_syncobj_destroy, false;
    syncobj_handle_to_fd => syncobj_fd::handle_to_fd_ioctl, syncobj_fd::drm_syncobj_handle, false;
    syncobj_fd_to_handle => syncobj_fd::fd_to_handle_ioctl, syncobj_fd::drm_syncobj_handle, false;
    syncobj_wait => syncobj_ioctl::wait, drm_syncobj_wait, false;
    syncobj_reset => syncobj_ioctl::reset, drm_syncobj_array, false;
    syncobj_signal => syncobj_ioctl::signal, drm_syncobj_array, false;
    syncobj_timeline_wait => syncobj_ioctl::timeline_wait, drm_syncobj_timeline_wait, true;
    syncobj_query => syncobj_ioctl::query, drm_syncobj_timeline_array, true;
    syncobj_transfer => syncobj_ioctl::transfer, drm_syncobj_transfer, true;
    syncobj_timeline_signal => syncobj_ioctl::timeline_signal, drm_syncobj_timeline_array, true;
    syncobj_eventfd => syncobj_fd::eventfd_ioctl, crate::uapi::drm_syncobj_eventfd, true;
}

/// Copies `value` out the way `drm_copy_field` does: `*len` becomes the string's length whatever the caller gave,
/// and `min(len, given)` bytes (no NUL) go to a non-null pointer.
fn copy_field(len: &mut u64, ptr: u64, value: &str) -> Result {
    let given = *len;
    *len = value.len() as u64;
    if ptr == 0 {
        return Ok(());
    }
    let n = (given as usize).min(value.len());
    UserSlice::new(UserPtr::from_u64(ptr)?, n)
        .writer()
        .write_slice(&value.as_bytes()[..n])
}

fn version<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    let v = d.get::<drm_version>()?;
    let info: DriverInfo = T::INFO;
    v.version_major = info.major;
    v.version_minor = info.minor;
    v.version_patchlevel = info.patchlevel;
    copy_field(&mut v.name_len, v.name as u64, info.name)?;
    copy_field(&mut v.date_len, v.date as u64, info.date)?;
    copy_field(&mut v.desc_len, v.desc as u64, info.desc)
}

fn gem_close<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_gem_close>()?;
    if !T::FEATURES.contains(DriverFeatures::GEM) {
        return Err(EOPNOTSUPP);
    }
    // `drm_gem_handle_delete` reports an unknown handle as EINVAL; `pad` is not looked at.
    f.objects.delete(a.handle).map_err(|_| EINVAL)?;
    f.dev.release_names();
    Ok(())
}

fn get_cap<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_get_cap>()?;
    let features = T::FEATURES;
    // `drm_getcap` clears the value first: an unknown capability comes back as 0 with the error.
    a.value = 0;
    a.value = match u32::try_from(a.capability).unwrap_or(u32::MAX) {
        DRM_CAP_TIMESTAMP_MONOTONIC => 1,
        DRM_CAP_PRIME => u64::from(DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT),
        DRM_CAP_SYNCOBJ => u64::from(features.contains(DriverFeatures::SYNCOBJ)),
        DRM_CAP_SYNCOBJ_TIMELINE => u64::from(features.contains(DriverFeatures::SYNCOBJ_TIMELINE)),
        // A driver without modesetting answers nothing else.
        _ => return Err(EOPNOTSUPP),
    };
    Ok(())
}

fn prime_handle_to_fd<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_prime_handle>()?;
    if a.flags & !(DRM_CLOEXEC | DRM_RDWR) != 0 {
        return Err(EINVAL);
    }
    let obj = f.objects.lookup(a.handle)?;
    T::may_export(&obj)?;
    a.fd = f.dev.prime().export(&obj, a.flags & DRM_CLOEXEC != 0)?;
    Ok(())
}

fn prime_fd_to_handle<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_prime_handle>()?;
    let obj = f.dev.prime().import(a.fd)?;
    // The file's existing handle for the object if it has one (its own export comes back as the original handle).
    a.handle = match f.objects.find(&obj) {
        Some(h) => h,
        None => f.objects.create(&obj)?,
    };
    Ok(())
}
