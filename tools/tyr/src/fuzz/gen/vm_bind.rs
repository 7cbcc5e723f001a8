// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The generator's VM_BIND: synchronous or asynchronous, ops of every type laid out field by field, with their sync
//! ops.

use super::*;

impl Gen {
    /// VM_BIND: synchronous or asynchronous, 1–3 ops of any type, with sync ops on the file's syncobjs.
    pub(super) fn vm_bind(
        &mut self,
        c: &mut Call,
        me: &FileView,
        other: &FileView,
        bos: &[u32],
        obos: &[u32],
    ) {
        c.bytes.put32(0, self.handle(&me.vms, &other.vms));
        let asynchronous = self.chance(0.4);
        let flags = match self.rng.gen_range(0..20) {
            0 => self.rng.gen(),
            _ => u32::from(asynchronous),
        };
        c.bytes.put32(4, flags);
        let n = self.count(3);
        // Ops are laid out at the stride (at most 64 bytes apart; a longer stride reads zero tails or garbage).
        let stride = self.stride(48, 48);
        let ops_buf = self.obj_array(c, Loc::Arg, 8, stride, n, Vec::new());
        for i in 0..n.min(3) as usize {
            let base = i * stride.clamp(48, 64) as usize;
            let kind = self.rng.gen_range(0..10);
            let ty: u32 = match kind {
                0..=5 => 0,
                6..=8 => 0x1000_0000,
                _ => 0x2000_0000,
            };
            let mut f = ty;
            if ty == 0 {
                f |= self.rng.gen_range(0..16);
            }
            if self.chance(0.03) {
                f = self.rng.gen();
            }
            let (bo, size) = match me.bos.get(self.rng.gen_range(0..me.bos.len().max(1))) {
                Some(&(h, s)) if ty == 0 && f & 8 == 0 => {
                    (h, if self.chance(0.7) { s } else { self.span() })
                }
                _ => (
                    if ty == 0 && f & 8 == 0 {
                        self.handle(bos, obos)
                    } else {
                        0
                    },
                    self.span(),
                ),
            };
            let bo = if self.chance(0.05) {
                self.handle(bos, obos)
            } else {
                bo
            };
            let off = if self.chance(0.8) { 0 } else { self.span() };
            let va = if self.chance(0.7) {
                self.rng.gen_range(0..64) * 64 * K
            } else {
                self.span()
            };
            let size = if ty == 0x2000_0000 && self.chance(0.8) {
                0
            } else {
                size
            };
            let va = if ty == 0x2000_0000 && self.chance(0.8) {
                0
            } else {
                va
            };
            let ops = &mut c.bufs[ops_buf].bytes;
            ops.put32(base, f);
            ops.put32(base + 4, bo);
            ops.put64(base + 8, if ty == 0 && f & 8 == 0 { off } else { 0 });
            ops.put64(base + 16, va);
            ops.put64(base + 24, size);
            ops.put64(base + 40, 0);
            ops.resize(base + stride.clamp(48, 64) as usize, 0);
            if asynchronous || self.chance(0.05) {
                let ns = if ty == 0x2000_0000 {
                    self.rng.gen_range(1..3)
                } else {
                    self.rng.gen_range(0..3)
                };
                let mut syncs = Vec::new();
                for j in 0..ns as usize {
                    let timeline = self.chance(0.4);
                    let signal = self.chance(0.6);
                    let mut sf = u32::from(timeline) | if signal { 0x8000_0000 } else { 0 };
                    if self.chance(0.03) {
                        sf = self.rng.gen();
                    }
                    syncs.put32(j * 16, sf);
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
                let sstride = self.stride(16, 16);
                let sstride = if sstride == 0 || sstride > 64 {
                    16
                } else {
                    sstride
                };
                let relaid = relay(&syncs, 16, sstride as usize);
                self.obj_array(c, Loc::Buf(ops_buf), base + 32, sstride, ns, relaid);
            }
        }
    }
}
