// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A render-node file whose only state is a syncobj table, driven through the DRM core's dispatcher with the core
//! ioctl table the syncobj module provides (shared by `syncobj_model.rs` and `syncobj_fd_core.rs`).

#![allow(dead_code)]

use kernel::drm::ioctl::{dispatch, Caller, IoctlDesc, IoctlTables};
use kernel::drm::syncobj::{ioctl, SyncobjTable};
use kernel::uaccess::UserPtr;

/// The file: its syncobj table.
pub struct File(pub SyncobjTable);

impl ioctl::SyncobjFile for File {
    fn syncobjs(&self) -> &SyncobjTable {
        &self.0
    }
}

/// A [`File`] on a render node and the core table its ioctls go through.
pub struct RenderFile {
    core: [IoctlDesc<File>; 12],
    /// The file.
    pub file: File,
}

impl RenderFile {
    /// A file with an empty syncobj table.
    pub fn new() -> RenderFile {
        RenderFile {
            core: ioctl::ioctl_descs::<File>(),
            file: File(SyncobjTable::new()),
        }
    }

    /// Its syncobj table.
    pub fn table(&self) -> &SyncobjTable {
        &self.file.0
    }

    /// `ioctl(fd, cmd, arg)` through the dispatcher, as a render-node client, with `arg`'s address as the pointer.
    pub fn call<T>(&self, cmd: u32, arg: &mut T) -> kernel::Result {
        let tables = IoctlTables {
            core: &self.core,
            driver: &[],
        };
        let render = Caller {
            render_node: true,
            ..Caller::default()
        };
        dispatch(
            &tables,
            &self.file,
            render,
            cmd,
            UserPtr(arg as *mut T as usize),
        )
    }
}
