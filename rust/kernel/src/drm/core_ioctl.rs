// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The DRM core's ioctl handlers beyond VERSION, GET_CAP, GEM_CLOSE, PRIME and SYNCOBJ (those are in
//! [`super::file`]): the master and authentication ioctls (`drm_auth.c`), the informational ones of `drm_ioctl.c`,
//! GEM global names (`drm_gem.c`), and what the modesetting and dumb-buffer numbers answer on a driver without
//! `DRIVER_MODESET` and without `dumb_create`.
//!
//! Permission checks (`DRM_AUTH`, `DRM_MASTER`, `DRM_ROOT_ONLY`, render nodes) ran before any of these.

use super::auth::{DRM_IF_MAJOR, DRM_IF_MINOR};
use super::device::{DeviceDriver, DriverFeatures};
use super::file::File;
use super::gem::IntoGemObject;
use super::ioctl::IoctlData;
use crate::error::code::{EINVAL, ENOSYS, EOPNOTSUPP};
use crate::error::Result;
use crate::uaccess::{UserPtr, UserSlice};
use crate::uapi::{
    drm_auth, drm_client, drm_gem_flink, drm_gem_open, drm_set_client_name, drm_set_version,
    drm_unique,
};

crate::impl_uapi_pod!(
    drm_auth { magic },
    drm_client {
        idx,
        auth,
        pid,
        uid,
        magic,
        iocs
    },
    drm_gem_flink { handle, name },
    drm_gem_open { name, handle, size },
    drm_set_client_name { name_len, name },
    drm_set_version {
        drm_di_major,
        drm_di_minor,
        drm_dd_major,
        drm_dd_minor
    },
    drm_unique { unique_len, unique },
);

/// `overflowuid`: what GET_CLIENT reports as the uid.
const OVERFLOW_UID: u64 = 65534;
/// `DRM_CLIENT_NAME_MAX_LEN`.
const CLIENT_NAME_MAX_LEN: u64 = 64;

/// `drm_noop`: deprecated numbers whose callers check the result but not the effect.
pub(crate) fn noop<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Ok(())
}

/// `drm_invalid_op`: always `EINVAL` (SET_UNIQUE; GEM_CHANGE_HANDLE, disabled upstream).
pub(crate) fn invalid_op<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Err(EINVAL)
}

/// The `drm_mode_*`, CRTC sequence and lease ioctls: each checks `DRIVER_MODESET` first (before any argument,
/// CLOSEFB's `pad` included) and answers `EOPNOTSUPP` without one.
pub(crate) fn modeset_only<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Err(EOPNOTSUPP)
}

/// `drm_wait_vblank_ioctl`: `EOPNOTSUPP` on a device without vblank support.
pub(crate) fn no_vblank<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Err(EOPNOTSUPP)
}

/// `drm_mode_create_dumb_ioctl`: no `dumb_create` → `ENOSYS`, and a failure clears handle, pitch and size.
pub(crate) fn create_dumb<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    d.bytes()[16..32].fill(0);
    Err(ENOSYS)
}

/// `drm_mode_mmap_dumb_ioctl`: `ENOSYS`, and a failure clears the offset.
pub(crate) fn map_dumb<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    d.bytes()[8..16].fill(0);
    Err(ENOSYS)
}

/// `drm_mode_destroy_dumb_ioctl`: `ENOSYS`.
pub(crate) fn destroy_dumb<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Err(ENOSYS)
}

/// `drm_getunique`: the master's unique name, copied when the caller's buffer is large enough; `unique_len`
/// always becomes its length. Empty until the master ran SET_VERSION 1.1 or later.
pub(crate) fn get_unique<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let u = d.get::<drm_unique>()?;
    let unique = f.device().auth.unique(f.id()).unwrap_or_default();
    let len = unique.len() as u64;
    if u.unique_len >= len {
        UserSlice::new(UserPtr(u.unique as usize), unique.len())
            .writer()
            .write_slice(unique.as_bytes())?;
    }
    u.unique_len = len;
    Ok(())
}

/// `drm_getmagic`.
pub(crate) fn get_magic<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let magic = f.device().auth.get_magic(f.id())?;
    d.get::<drm_auth>()?.magic = magic;
    Ok(())
}

/// `drm_authmagic`.
pub(crate) fn auth_magic<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let magic = d.get::<drm_auth>()?.magic;
    f.device().auth.auth_magic(f.id(), magic)
}

/// `drm_setmaster_ioctl`.
pub(crate) fn set_master<T: DeviceDriver>(f: &File<T>, _d: &mut IoctlData) -> Result {
    f.device().auth.set_master(f.id(), f.caller().sys_admin)
}

/// `drm_dropmaster_ioctl`.
pub(crate) fn drop_master<T: DeviceDriver>(f: &File<T>, _d: &mut IoctlData) -> Result {
    f.device().auth.drop_master(f.id(), f.caller().sys_admin)
}

/// `drm_getclient`: index 0 describes the caller (libva reads `auth` from it); any other index is `EINVAL`.
pub(crate) fn get_client<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let c = d.get::<drm_client>()?;
    if c.idx != 0 {
        return Err(EINVAL);
    }
    c.auth = i32::from(f.device().auth.authenticated(f.id()));
    c.pid = u64::from(std::process::id());
    c.uid = OVERFLOW_UID;
    c.magic = 0;
    c.iocs = 0;
    Ok(())
}

/// `drm_getstats`: all zero.
pub(crate) fn get_stats<T: DeviceDriver>(_f: &File<T>, d: &mut IoctlData) -> Result {
    d.bytes().fill(0);
    Ok(())
}

/// `drm_setversion`: checks the requested interface and driver versions (-1 means "don't care"), ties the
/// device's unique name to the master for interface 1.1+, and always reports the versions it has.
pub(crate) fn set_version<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let sv = d.get::<drm_set_version>()?;
    let info = T::INFO;
    let res = (|| {
        if sv.drm_di_major != -1 {
            if sv.drm_di_major != DRM_IF_MAJOR
                || sv.drm_di_minor < 0
                || sv.drm_di_minor > DRM_IF_MINOR
            {
                return Err(EINVAL);
            }
            if sv.drm_di_minor >= 1 {
                f.device().auth.set_busid(f.id(), f.device().unique())?;
            }
        }
        if sv.drm_dd_major != -1
            && (sv.drm_dd_major != info.major
                || sv.drm_dd_minor < 0
                || sv.drm_dd_minor > info.minor)
        {
            return Err(EINVAL);
        }
        Ok(())
    })();
    sv.drm_di_major = DRM_IF_MAJOR;
    sv.drm_di_minor = DRM_IF_MINOR;
    sv.drm_dd_major = info.major;
    sv.drm_dd_minor = info.minor;
    res
}

/// `drm_setclientcap`: a driver without modesetting has no client capability to set.
pub(crate) fn set_client_cap<T: DeviceDriver>(_f: &File<T>, _d: &mut IoctlData) -> Result {
    Err(EOPNOTSUPP)
}

/// `drm_set_client_name`: at most 64 printable, non-space ASCII bytes without a NUL; length 0 clears the name.
pub(crate) fn set_client_name<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_set_client_name>()?;
    if a.name_len > CLIENT_NAME_MAX_LEN {
        return Err(EINVAL);
    }
    let name = if a.name_len == 0 {
        None
    } else {
        let bytes = UserSlice::new(UserPtr::from_u64(a.name)?, a.name_len as usize).read_all()?;
        if !bytes.iter().all(|b| b.is_ascii_graphic()) {
            return Err(EINVAL);
        }
        Some(String::from_utf8(bytes).map_err(|_| EINVAL)?)
    };
    f.set_client_name(name);
    Ok(())
}

/// `drm_gem_flink_ioctl`: the object's global name, created on first use; `ENOENT` for an unknown handle.
pub(crate) fn gem_flink<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_gem_flink>()?;
    if !T::FEATURES.contains(DriverFeatures::GEM) {
        return Err(EOPNOTSUPP);
    }
    let obj = f.objects().lookup(a.handle)?;
    a.name = f.device().flink(&obj)?;
    Ok(())
}

/// `drm_gem_open_ioctl`: a new handle (always a new one) to the object named `name`, and its size; `ENOENT` for a
/// name no live object has.
pub(crate) fn gem_open<T: DeviceDriver>(f: &File<T>, d: &mut IoctlData) -> Result {
    let a = d.get::<drm_gem_open>()?;
    if !T::FEATURES.contains(DriverFeatures::GEM) {
        return Err(EOPNOTSUPP);
    }
    let obj = f.device().open_name(a.name)?;
    a.handle = f.objects().create(&obj)?;
    a.size = obj.gem().size();
    Ok(())
}
