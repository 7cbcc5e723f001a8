//! An open DRM file (`struct drm_file`): its GEM handles, the driver's per-file data, and the ioctl entry point
//! with the DRM core's own ioctls (`drm_ioctls[]` in `drm_ioctl.c`): VERSION, GET_CAP, GEM_CLOSE, PRIME and the
//! SYNCOBJ family (handed to [`super::syncobj::ioctl`]).

use std::sync::Arc;

use super::device::{Device, DeviceDriver, DriverFeatures, DriverInfo};
use super::gem::{HandleTable, IntoGemObject};
use super::ioctl::{dispatch, ioc_nr, ioc_type, Caller, IoctlData, IoctlDesc, IoctlFlags, IoctlTables, DRM_IOCTL_BASE};
use super::syncobj::fd as syncobj_fd;
use super::syncobj::ioctl as syncobj_ioctl;
use super::syncobj::SyncobjTable;
use crate::alloc;
use crate::error::code::{EACCES, EINVAL, ENODEV, EOPNOTSUPP};
use crate::error::Result;
use crate::uaccess::{UserPtr, UserSlice};
use crate::uapi::ioctl::*;
use crate::uapi::{
    drm_gem_close, drm_get_cap, drm_prime_handle, drm_version, DRM_CAP_PRIME, DRM_CAP_SYNCOBJ,
    DRM_CAP_SYNCOBJ_TIMELINE, DRM_CAP_TIMESTAMP_MONOTONIC, DRM_CLOEXEC, DRM_PRIME_CAP_EXPORT, DRM_PRIME_CAP_IMPORT,
    DRM_RDWR,
};
use crate::uapi::{
    drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy, drm_syncobj_timeline_array, drm_syncobj_timeline_wait,
    drm_syncobj_transfer, drm_syncobj_wait,
};

// The syncobj structs are marked in `syncobj::ioctl`.
crate::impl_uapi_pod!(drm_version, drm_gem_close, drm_get_cap, drm_prime_handle);

/// An open file of a DRM device.
pub struct File<T: DeviceDriver> {
    dev: Arc<Device<T>>,
    objects: HandleTable<T::Object>,
    syncobjs: SyncobjTable,
    caller: Caller,
    data: T::File,
}

impl<T: DeviceDriver> File<T> {
    /// Opens `dev` (`drm_open`): a render-node file when `caller.render_node`. `ENODEV` once the device is unplugged.
    pub fn open(dev: &Arc<Device<T>>, caller: Caller) -> Result<Arc<Self>> {
        if dev.is_unplugged() {
            return Err(ENODEV);
        }
        let data = T::open(dev)?;
        Ok(alloc::try_arc(File {
            dev: dev.clone(),
            objects: HandleTable::default(),
            syncobjs: SyncobjTable::new(),
            caller,
            data,
        })?)
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

    /// Who opened the file (node type, master, capabilities).
    pub fn caller(&self) -> Caller {
        self.caller
    }

    /// `drm_ioctl()`: `ENODEV` on an unplugged device, then dispatch through the core's table and the driver's with
    /// the core's argument rules ([`dispatch`]).
    pub fn ioctl(&self, cmd: u32, arg: UserPtr) -> Result {
        if self.dev.is_unplugged() {
            return Err(ENODEV);
        }
        let tables = IoctlTables { core: <T as CoreIoctls>::CORE, driver: T::IOCTLS };
        // One span per ioctl (what `tyr trace` shows as a timeline row); its name is looked up only when some
        // subscriber wants the span.
        let span =
            tracing::debug_span!("ioctl", ioctl = tracing::field::Empty, cmd = cmd, result = tracing::field::Empty);
        if !span.is_disabled() {
            let name =
                if ioc_type(cmd) == DRM_IOCTL_BASE { tables.lookup(ioc_nr(cmd)).map_or("?", |d| d.name) } else { "?" };
            span.record("ioctl", name);
        }
        let _entered = span.enter();
        let res = dispatch(&tables, self, self.caller, cmd, arg);
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
        // `drm_release`: the handles go with the file; what they kept alive is released unless shared elsewhere.
        self.objects.clear();
    }
}

/// The DRM core's ioctl table for a driver.
trait CoreIoctls: DeviceDriver {
    const CORE: &'static [IoctlDesc<File<Self>>];
}

impl<T: DeviceDriver> CoreIoctls for T {
    const CORE: &'static [IoctlDesc<File<Self>>] = &[
        IoctlDesc { cmd: DRM_IOCTL_VERSION, flags: IoctlFlags::RENDER_ALLOW, name: "VERSION", func: version::<T> },
        IoctlDesc {
            cmd: DRM_IOCTL_GEM_CLOSE,
            flags: IoctlFlags::RENDER_ALLOW,
            name: "GEM_CLOSE",
            func: gem_close::<T>,
        },
        IoctlDesc { cmd: DRM_IOCTL_GET_CAP, flags: IoctlFlags::RENDER_ALLOW, name: "GET_CAP", func: get_cap::<T> },
        IoctlDesc {
            cmd: DRM_IOCTL_PRIME_HANDLE_TO_FD,
            flags: IoctlFlags::RENDER_ALLOW,
            name: "PRIME_HANDLE_TO_FD",
            func: prime_handle_to_fd::<T>,
        },
        IoctlDesc {
            cmd: DRM_IOCTL_PRIME_FD_TO_HANDLE,
            flags: IoctlFlags::RENDER_ALLOW,
            name: "PRIME_FD_TO_HANDLE",
            func: prime_fd_to_handle::<T>,
        },
        syncobj_entry(DRM_IOCTL_SYNCOBJ_CREATE, "SYNCOBJ_CREATE", syncobj_create::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_DESTROY, "SYNCOBJ_DESTROY", syncobj_destroy::<T>),
        syncobj_entry(syncobj_fd::DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, "SYNCOBJ_HANDLE_TO_FD", syncobj_handle_to_fd::<T>),
        syncobj_entry(syncobj_fd::DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, "SYNCOBJ_FD_TO_HANDLE", syncobj_fd_to_handle::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_WAIT, "SYNCOBJ_WAIT", syncobj_wait::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_RESET, "SYNCOBJ_RESET", syncobj_reset::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_SIGNAL, "SYNCOBJ_SIGNAL", syncobj_signal::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, "SYNCOBJ_TIMELINE_WAIT", syncobj_timeline_wait::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_QUERY, "SYNCOBJ_QUERY", syncobj_query::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_TRANSFER, "SYNCOBJ_TRANSFER", syncobj_transfer::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, "SYNCOBJ_TIMELINE_SIGNAL", syncobj_timeline_signal::<T>),
        syncobj_entry(DRM_IOCTL_SYNCOBJ_EVENTFD, "SYNCOBJ_EVENTFD", syncobj_eventfd::<T>),
    ];
}

const fn syncobj_entry<T: DeviceDriver>(
    cmd: u32,
    name: &'static str,
    func: fn(&File<T>, &mut IoctlData) -> Result,
) -> IoctlDesc<File<T>> {
    IoctlDesc { cmd, flags: IoctlFlags::RENDER_ALLOW, name, func }
}

/// The syncobj ioctls need `DRIVER_SYNCOBJ` (and the timeline ones `DRIVER_SYNCOBJ_TIMELINE`), else `EOPNOTSUPP`.
fn syncobj_feature<T: DeviceDriver>(timeline: bool) -> Result {
    let need = if timeline { DriverFeatures::SYNCOBJ_TIMELINE } else { DriverFeatures::SYNCOBJ };
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
    UserSlice::new(UserPtr::from_u64(ptr)?, n).writer().write_slice(&value.as_bytes()[..n])
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
    f.objects.delete(a.handle).map_err(|_| EINVAL)
}

fn get_cap<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_get_cap>()?;
    let features = T::FEATURES;
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
