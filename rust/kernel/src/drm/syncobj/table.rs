// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Per-file syncobj handles (`file_private->syncobj_idr`).

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::sync::Arc;

use super::{CreateFlags, Syncobj};
use crate::alloc;
use crate::error::code::{EINVAL, ENOENT, ENOSPC};
use crate::error::Result;

/// The syncobj handles of one open DRM file. Handles start at 1; a new one takes the lowest free number, so a
/// destroyed handle is reused, as the IDR upstream allocates them (`idr_alloc(.., 1, 0, ..)`, up to `INT_MAX`).
///
/// # Invariants
/// Slot `i` of `slots` is handle `i + 1`; the last slot, if any, is occupied.
#[derive(Default)]
pub struct SyncobjTable {
    slots: Mutex<Vec<Option<Arc<Syncobj>>>>,
}

impl SyncobjTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Option<Arc<Syncobj>>>> {
        self.slots.lock()
    }

    /// Creates a syncobj and a handle for it (`drm_syncobj_create_as_handle`). `ENOMEM` creates nothing.
    pub fn create(&self, flags: CreateFlags) -> Result<u32> {
        self.insert(Syncobj::new(flags)?)
    }

    /// Gives `obj` a handle in this table (what FD_TO_HANDLE will do with an imported syncobj).
    pub fn insert(&self, obj: Arc<Syncobj>) -> Result<u32> {
        let mut slots = self.slots();
        let idx = match slots.iter().position(Option::is_none) {
            Some(idx) => idx,
            None => {
                if slots.len() >= i32::MAX as usize {
                    return Err(ENOSPC);
                }
                alloc::try_push(&mut slots, None)?;
                slots.len() - 1
            }
        };
        slots[idx] = Some(obj);
        Ok(idx as u32 + 1)
    }

    /// The syncobj behind `handle` (`drm_syncobj_find`); `ENOENT` if there is none.
    pub fn lookup(&self, handle: u32) -> Result<Arc<Syncobj>> {
        let slots = self.slots();
        let idx = (handle as usize).checked_sub(1).ok_or(ENOENT)?;
        slots.get(idx).and_then(Clone::clone).ok_or(ENOENT)
    }

    /// The syncobjs behind `handles`, in order (`drm_syncobj_array_find`): `ENOENT` at the first unknown handle.
    pub fn lookup_many(&self, handles: &[u32]) -> Result<Vec<Arc<Syncobj>>> {
        let mut objs = alloc::try_vec(handles.len())?;
        for &h in handles {
            objs.push(self.lookup(h)?);
        }
        Ok(objs)
    }

    /// Every handle and its syncobj, in handle order (for checkers and snapshots).
    pub fn handles(&self) -> Vec<(u32, Arc<Syncobj>)> {
        let slots = self.slots();
        slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.clone().map(|o| (i as u32 + 1, o)))
            .collect()
    }

    /// Removes `handle` (`drm_syncobj_destroy`); the syncobj lives on while others hold it. `EINVAL` for an unknown
    /// handle, which is what SYNCOBJ_DESTROY returns (unlike the lookups' `ENOENT`).
    pub fn destroy(&self, handle: u32) -> Result {
        let mut slots = self.slots();
        let idx = (handle as usize).checked_sub(1).ok_or(EINVAL)?;
        let obj = slots.get_mut(idx).and_then(Option::take).ok_or(EINVAL)?;
        while matches!(slots.last(), Some(None)) {
            slots.pop();
        }
        drop(slots);
        drop(obj);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_start_at_one_and_the_lowest_free_is_reused() {
        let t = SyncobjTable::new();
        assert_eq!(t.create(CreateFlags::empty()), Ok(1));
        assert_eq!(t.create(CreateFlags::empty()), Ok(2));
        assert_eq!(t.create(CreateFlags::empty()), Ok(3));
        t.destroy(2).unwrap();
        assert_eq!(t.lookup(2).err(), Some(ENOENT));
        assert_eq!(t.create(CreateFlags::empty()), Ok(2));
        t.destroy(3).unwrap();
        t.destroy(2).unwrap();
        assert_eq!(t.create(CreateFlags::empty()), Ok(2));
        assert_eq!(
            t.handles().iter().map(|(h, _)| *h).collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    fn unknown_handles() {
        let t = SyncobjTable::new();
        assert_eq!(t.lookup(0).err(), Some(ENOENT));
        assert_eq!(t.lookup(1).err(), Some(ENOENT));
        assert_eq!(t.destroy(0), Err(EINVAL));
        assert_eq!(t.destroy(7), Err(EINVAL));
        let h = t.create(CreateFlags::empty()).unwrap();
        assert_eq!(t.lookup_many(&[h, 9]).err(), Some(ENOENT));
    }

    #[test]
    fn a_syncobj_outlives_its_handle() {
        let t = SyncobjTable::new();
        let h = t.create(CreateFlags::SIGNALED).unwrap();
        let obj = t.lookup(h).unwrap();
        t.destroy(h).unwrap();
        assert!(obj.fence().unwrap().is_signaled());
    }

    #[test]
    fn creation_failure_leaves_no_handle() {
        let t = SyncobjTable::new();
        {
            let _f = alloc::fault::fail_all();
            assert_eq!(
                t.create(CreateFlags::SIGNALED),
                Err(crate::error::code::ENOMEM)
            );
        }
        assert_eq!(t.create(CreateFlags::empty()), Ok(1));
    }
}
