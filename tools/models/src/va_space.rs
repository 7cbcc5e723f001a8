// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A VM's GPU VA space as synchronous VM_BIND changes it (`Documentation/uapi.md#vm_bind`): a set of disjoint
//! mappings, each a range of VAs backed by a range of one BO (or, sparse, by nothing in particular), with the
//! mapping flags. A MAP replaces whatever it overlaps (cutting partially covered mappings at its edges, as GPUVM's
//! remap steps do; adjacent mappings are never merged); an UNMAP removes what it overlaps, cutting the same way.
//!
//! [`VaSpace::bind`] applies an op array the way the ioctl does: ops in order, `size == 0` skipped, the first invalid
//! op stops the call with `EINVAL`, and the ops before it stay applied.

use std::collections::BTreeMap;

use crate::errno::EINVAL;

/// 4 KiB: the alignment of VAs, sizes and BO offsets.
pub const PAGE: u64 = 0x1000;

/// Mapping flags (`DRM_PANTHOR_VM_BIND_OP_MAP_*`).
pub mod flags {
    /// Read-only.
    pub const READONLY: u32 = 0x1;
    /// Not executable.
    pub const NOEXEC: u32 = 0x2;
    /// Uncached.
    pub const UNCACHED: u32 = 0x4;
    /// Sparse: backed by no BO range (`bo_handle == 0`, `bo_offset == 0`, NOEXEC required).
    pub const SPARSE: u32 = 0x8;
}

/// One mapping: what backs `[va, va + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First VA.
    pub va: u64,
    /// Bytes.
    pub size: u64,
    /// The BO (0 for a sparse mapping).
    pub bo: u32,
    /// Offset in the BO of `va`.
    pub offset: u64,
    /// `flags` as given to MAP.
    pub flags: u32,
}

/// One VM_BIND op (synchronous).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// MAP `size` bytes of `bo` from `offset` at `va`.
    Map {
        /// First VA.
        va: u64,
        /// Bytes.
        size: u64,
        /// BO handle (0 with SPARSE).
        bo: u32,
        /// Offset in the BO.
        offset: u64,
        /// Mapping flags.
        flags: u32,
    },
    /// UNMAP `[va, va + size)`.
    Unmap {
        /// First VA.
        va: u64,
        /// Bytes.
        size: u64,
    },
}

/// `DRM_PANTHOR_VM_BIND_OP_TYPE_*`, in bits 31:28 of an op's `flags`.
pub mod op_type {
    /// MAP.
    pub const MAP: u32 = 0 << 28;
    /// UNMAP.
    pub const UNMAP: u32 = 1 << 28;
    /// SYNC_ONLY.
    pub const SYNC_ONLY: u32 = 2 << 28;
    /// The type field.
    pub const MASK: u32 = 0xf << 28;
}

/// A `drm_panthor_vm_bind_op` as a synchronous VM_BIND reads it (its syncs are empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawOp {
    /// Type and mapping flags.
    pub flags: u32,
    /// BO handle.
    pub bo: u32,
    /// Offset in the BO.
    pub offset: u64,
    /// First VA.
    pub va: u64,
    /// Bytes.
    pub size: u64,
}

impl RawOp {
    /// The op the fields describe: `Ok(None)` for an op skipped (`size == 0`, checked before anything else),
    /// `EINVAL` for fields no op type accepts (the range and BO checks come when the op is applied).
    pub fn decode(&self) -> Result<Option<Op>, i32> {
        if self.size == 0 {
            return Ok(None);
        }
        match self.flags & op_type::MASK {
            op_type::MAP => Ok(Some(Op::Map {
                va: self.va,
                size: self.size,
                bo: self.bo,
                offset: self.offset,
                flags: self.flags & !op_type::MASK,
            })),
            op_type::UNMAP
                if self.flags & !op_type::MASK == 0 && self.bo == 0 && self.offset == 0 =>
            {
                Ok(Some(Op::Unmap {
                    va: self.va,
                    size: self.size,
                }))
            }
            // UNMAP with flags or a BO, SYNC_ONLY with a range (synchronous binds carry no syncs), types 3..15.
            _ => Err(EINVAL),
        }
    }
}

/// The mappings of one VM, and what the model needs to validate ops: the user VA limit and the BO sizes.
#[derive(Clone, Debug, Default)]
pub struct VaSpace {
    maps: BTreeMap<u64, Mapping>,
    /// VAs at or above this are refused (`2^va_bits` or the start of the kernel area, whichever is lower).
    pub limit: u64,
    /// Size of each BO handle the file holds.
    pub bos: BTreeMap<u32, u64>,
}

impl VaSpace {
    /// An empty VA space whose user range ends at `limit`.
    pub fn new(limit: u64) -> Self {
        VaSpace {
            maps: BTreeMap::new(),
            limit,
            bos: BTreeMap::new(),
        }
    }

    /// The mappings in VA order.
    pub fn mappings(&self) -> Vec<Mapping> {
        self.maps.values().copied().collect()
    }

    /// What backs the page at `va`: (BO, offset in the BO, flags), `None` when unmapped.
    pub fn lookup(&self, va: u64) -> Option<(u32, u64, u32)> {
        let (_, m) = self.maps.range(..=va).next_back()?;
        (va < m.va + m.size).then(|| (m.bo, m.offset + (va - m.va), m.flags))
    }

    /// Applies `ops` like a synchronous VM_BIND: `Ok(())`, or the index of the first refused op (`EINVAL`), with
    /// the ops before it applied.
    pub fn bind(&mut self, ops: &[Op]) -> Result<(), (usize, i32)> {
        for (i, op) in ops.iter().enumerate() {
            self.apply(op).map_err(|e| (i, e))?;
        }
        Ok(())
    }

    /// Applies raw ops like a synchronous VM_BIND ([`VaSpace::bind`] after [`RawOp::decode`]).
    pub fn bind_raw(&mut self, ops: &[RawOp]) -> Result<(), (usize, i32)> {
        for (i, raw) in ops.iter().enumerate() {
            if let Some(op) = raw.decode().map_err(|e| (i, e))? {
                self.apply(&op).map_err(|e| (i, e))?;
            }
        }
        Ok(())
    }

    /// One op.
    pub fn apply(&mut self, op: &Op) -> Result<(), i32> {
        match *op {
            Op::Map { size: 0, .. } | Op::Unmap { size: 0, .. } => Ok(()),
            Op::Map {
                va,
                size,
                bo,
                offset,
                flags,
            } => {
                if va % PAGE != 0 || size % PAGE != 0 || offset % PAGE != 0 {
                    return Err(EINVAL);
                }
                if flags & !(flags::READONLY | flags::NOEXEC | flags::UNCACHED | flags::SPARSE) != 0
                {
                    return Err(EINVAL);
                }
                if flags & flags::SPARSE != 0 {
                    if bo != 0 || offset != 0 || flags & flags::NOEXEC == 0 {
                        return Err(EINVAL);
                    }
                } else {
                    let bo_size = *self.bos.get(&bo).ok_or(EINVAL)?;
                    if offset.checked_add(size).is_none_or(|end| end > bo_size) {
                        return Err(EINVAL);
                    }
                }
                self.check_range(va, size)?;
                self.cut(va, size);
                self.maps.insert(
                    va,
                    Mapping {
                        va,
                        size,
                        bo,
                        offset,
                        flags,
                    },
                );
                Ok(())
            }
            Op::Unmap { va, size } => {
                if va % PAGE != 0 || size % PAGE != 0 {
                    return Err(EINVAL);
                }
                self.check_range(va, size)?;
                self.cut(va, size);
                Ok(())
            }
        }
    }

    fn check_range(&self, va: u64, size: u64) -> Result<(), i32> {
        match va.checked_add(size) {
            Some(end) if end <= self.limit => Ok(()),
            _ => Err(EINVAL),
        }
    }

    /// Removes `[va, va + size)` from every mapping, keeping the parts outside it.
    fn cut(&mut self, va: u64, size: u64) {
        let end = va + size;
        let hit: Vec<Mapping> = self
            .maps
            .range(..end)
            .rev()
            .take_while(|(_, m)| m.va + m.size > va)
            .map(|(_, m)| *m)
            .collect();
        for m in hit {
            self.maps.remove(&m.va);
            if m.va < va {
                self.maps.insert(
                    m.va,
                    Mapping {
                        size: va - m.va,
                        ..m
                    },
                );
            }
            let m_end = m.va + m.size;
            if m_end > end {
                self.maps.insert(
                    end,
                    Mapping {
                        va: end,
                        size: m_end - end,
                        offset: m.offset + (end - m.va),
                        ..m
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> VaSpace {
        let mut s = VaSpace::new(1 << 32);
        s.bos.insert(1, 16 * PAGE);
        s
    }

    fn map(va: u64, size: u64, offset: u64) -> Op {
        Op::Map {
            va,
            size,
            bo: 1,
            offset,
            flags: 0,
        }
    }

    #[test]
    fn a_map_in_the_middle_of_another_cuts_it_in_three() {
        let mut s = space();
        s.bind(&[map(0x10000, 8 * PAGE, 0), map(0x12000, PAGE, 15 * PAGE)])
            .unwrap();
        let v: Vec<_> = s
            .mappings()
            .iter()
            .map(|m| (m.va, m.size, m.offset))
            .collect();
        assert_eq!(
            v,
            [
                (0x10000, 2 * PAGE, 0),
                (0x12000, PAGE, 15 * PAGE),
                (0x13000, 5 * PAGE, 3 * PAGE)
            ]
        );
        assert_eq!(s.lookup(0x14000), Some((1, 4 * PAGE, 0)));
    }

    #[test]
    fn an_unmap_across_two_mappings_keeps_their_outer_parts() {
        let mut s = space();
        s.bind(&[
            map(0x10000, 2 * PAGE, 0),
            map(0x12000, 2 * PAGE, 0),
            Op::Unmap {
                va: 0x11000,
                size: 2 * PAGE,
            },
        ])
        .unwrap();
        let v: Vec<_> = s
            .mappings()
            .iter()
            .map(|m| (m.va, m.size, m.offset))
            .collect();
        assert_eq!(v, [(0x10000, PAGE, 0), (0x13000, PAGE, PAGE)]);
    }

    #[test]
    fn the_first_bad_op_stops_the_call_and_earlier_ops_stay() {
        let mut s = space();
        let ops = [
            map(0x10000, PAGE, 0),
            map(0x20000, PAGE, 16 * PAGE),
            map(0x30000, PAGE, 0),
        ];
        assert_eq!(s.bind(&ops), Err((1, EINVAL)), "range outside the BO");
        assert_eq!(s.mappings().len(), 1);
        assert_eq!(
            s.bind(&[Op::Unmap {
                va: 0x10001,
                size: 0
            }]),
            Ok(()),
            "size 0 is skipped first"
        );
        assert_eq!(
            s.bind(&[Op::Unmap {
                va: (1 << 32) - PAGE,
                size: 2 * PAGE
            }]),
            Err((0, EINVAL))
        );
    }

    #[test]
    fn raw_ops_size_zero_first_then_the_type_rules() {
        let raw = |flags, bo, size| RawOp {
            flags,
            bo,
            offset: 0,
            va: 0x10000,
            size,
        };
        let mut s = space();
        assert_eq!(
            s.bind_raw(&[raw(3 << 28, 0, 0), raw(op_type::SYNC_ONLY, 0, 0)]),
            Ok(())
        );
        assert_eq!(
            s.bind_raw(&[raw(op_type::SYNC_ONLY, 0, PAGE)]),
            Err((0, EINVAL))
        );
        assert_eq!(
            s.bind_raw(&[raw(op_type::UNMAP, 1, PAGE)]),
            Err((0, EINVAL))
        );
        assert_eq!(
            s.bind_raw(&[raw(op_type::UNMAP | flags::NOEXEC, 0, PAGE)]),
            Err((0, EINVAL))
        );
        assert_eq!(
            s.bind_raw(&[raw(op_type::MAP, 1, PAGE), raw(op_type::UNMAP, 0, PAGE)]),
            Ok(())
        );
        assert!(s.mappings().is_empty());
    }
}
