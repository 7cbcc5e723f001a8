// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The generator's GROUP_* and TILER_HEAP_* calls, field by field, now and then plain garbage.

use super::*;

impl Gen {
    /// GROUP_* and TILER_HEAP_*, field by field (`Documentation/uapi.md#struct-layouts`), now and then plain garbage.
    pub(super) fn group_call(&mut self, c: &mut Call, me: &FileView, other: &FileView) -> u32 {
        if self.chance(0.05) {
            let k = [
                DRM_IOCTL_PANTHOR_GROUP_CREATE,
                DRM_IOCTL_PANTHOR_GROUP_DESTROY,
                DRM_IOCTL_PANTHOR_GROUP_SUBMIT,
                DRM_IOCTL_PANTHOR_GROUP_GET_STATE,
                DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE,
                DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY,
            ][self.rng.gen_range(0..6)];
            c.bytes = (0..ioc_size(k)).map(|_| self.rng.gen()).collect();
            return k;
        }
        match self.rng.gen_range(0..20) {
            0..=5 => {
                let n = self.count(3);
                let mut qs = Vec::new();
                for i in 0..n.min(3) as usize {
                    qs.push(if self.chance(0.9) {
                        self.rng.gen_range(0..16)
                    } else {
                        self.rng.gen()
                    });
                    qs.extend_from_slice(&[0, 0, if self.chance(0.05) { 1 } else { 0 }]);
                    let ring: u32 = match self.rng.gen_range(0..10) {
                        0 => self.rng.gen(),
                        1 => 0x800,
                        _ => 0x1000 << self.rng.gen_range(0..2),
                    };
                    qs.put32(i * 8 + 4, ring);
                }
                let stride = self.stride(8, 8);
                let stride = if stride == 0 || stride > 32 {
                    8
                } else {
                    stride
                };
                let relaid = relay(&qs, 8, stride as usize);
                self.obj_array(c, Loc::Arg, 0, stride, n, relaid);
                for off in 16..19 {
                    c.bytes.put8(
                        off,
                        if self.chance(0.9) {
                            self.rng.gen_range(0..2)
                        } else {
                            self.rng.gen()
                        },
                    );
                }
                c.bytes.put8(
                    19,
                    if self.chance(0.9) {
                        self.rng.gen_range(0..2)
                    } else {
                        self.rng.gen_range(0..5)
                    },
                );
                c.bytes.put32(20, self.pad());
                for off in [24, 32, 40] {
                    c.bytes
                        .put64(off, if self.chance(0.9) { 1 } else { self.rng.gen() });
                }
                c.bytes.put32(48, self.handle(&me.vms, &other.vms));
                c.bytes.put32(52, self.rng.gen());
                DRM_IOCTL_PANTHOR_GROUP_CREATE
            }
            6..=9 => {
                c.bytes.put32(0, self.handle(&me.groups, &other.groups));
                c.bytes.put32(4, self.pad());
                let n = self.count(2);
                let mut subs = Vec::new();
                for i in 0..n.min(2) as usize {
                    let b = i * 40;
                    subs.put32(
                        b,
                        if self.chance(0.9) {
                            0
                        } else {
                            self.rng.gen_range(0..4)
                        },
                    );
                    let real = self.chance(0.7);
                    subs.put32(
                        b + 4,
                        if real {
                            8 * self.rng.gen_range(1..4)
                        } else {
                            self.rng.gen_range(0..3) * 4
                        },
                    );
                    let addr = match self.rng.gen_range(0..4) {
                        0 => 0,
                        1 => self.rng.gen(),
                        _ => self.rng.gen_range(0..64) * 64 * K,
                    };
                    subs.put64(b + 8, if real { addr } else { 0 });
                    subs.put32(b + 16, if self.chance(0.9) { 0 } else { self.rng.gen() });
                    subs.put32(b + 20, self.pad());
                    subs.put64(b + 24, 0);
                    subs.put64(b + 32, 0);
                }
                let subs_buf = self.obj_array(c, Loc::Arg, 8, 40, n, subs);
                for i in 0..n.min(2) as usize {
                    let ns = self.rng.gen_range(0..3);
                    let mut syncs = Vec::new();
                    for j in 0..ns as usize {
                        let timeline = self.chance(0.3);
                        let sf =
                            u32::from(timeline) | if self.chance(0.6) { 0x8000_0000 } else { 0 };
                        syncs.put32(
                            j * 16,
                            if self.chance(0.03) {
                                self.rng.gen()
                            } else {
                                sf
                            },
                        );
                        syncs.put32(j * 16 + 4, self.handle(&me.syncobjs, &other.syncobjs));
                        syncs.put64(
                            j * 16 + 8,
                            if timeline {
                                self.rng.gen_range(1..6)
                            } else {
                                0
                            },
                        );
                    }
                    self.obj_array(c, Loc::Buf(subs_buf), i * 40 + 24, 16, ns, syncs);
                }
                DRM_IOCTL_PANTHOR_GROUP_SUBMIT
            }
            10..=12 => {
                c.bytes.put32(0, self.handle(&me.groups, &other.groups));
                c.bytes.put32(4, self.pad());
                DRM_IOCTL_PANTHOR_GROUP_DESTROY
            }
            13..=14 => {
                c.bytes.put32(0, self.handle(&me.groups, &other.groups));
                c.bytes.put32(4, self.rng.gen());
                c.bytes.put32(8, self.rng.gen());
                c.bytes.put32(12, self.pad());
                DRM_IOCTL_PANTHOR_GROUP_GET_STATE
            }
            15..=17 => {
                c.bytes.put32(0, self.handle(&me.vms, &other.vms));
                let initial = if self.chance(0.9) {
                    self.rng.gen_range(0..3)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(4, initial);
                let chunk: u32 = match self.rng.gen_range(0..8) {
                    0 => self.rng.gen(),
                    1 => 0x1_0000,
                    2 => 0x2_0800,
                    _ => 0x2_0000 << self.rng.gen_range(0..2),
                };
                c.bytes.put32(8, chunk);
                c.bytes.put32(
                    12,
                    if self.chance(0.9) {
                        self.rng.gen_range(0..4)
                    } else {
                        self.rng.gen()
                    },
                );
                c.bytes.put32(16, self.rng.gen_range(0..4));
                c.bytes.put32(20, self.rng.gen());
                DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE
            }
            _ => {
                let vm = self.handle(&me.vms, &other.vms);
                let id = if self.chance(0.8) {
                    self.rng.gen_range(0..4)
                } else {
                    self.rng.gen::<u32>() & 0xffff
                };
                c.bytes.put32(0, vm << 16 | id);
                c.bytes.put32(4, self.pad());
                DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY
            }
        }
    }
}
