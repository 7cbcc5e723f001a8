// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU_CONTROL: reset, power domains (shader cores, tiler, L2, stacks), GPU_COMMAND, MCU_CONTROL and the
//! GPU-level fault registers.

use super::mmio::read_irq;
use super::*;
use crate::fields::{GpuCommand, GpuFaultStatus};

impl State {
    /// `Documentation/hardware.md#gpu_control`: power domains off (unless a fast reset), MCU disabled, AS registers and TLBs cleared, faults cleared,
    /// RAWSTATs cleared but RESET_COMPLETED raised; the three MASKs and TIMESTAMP_OFFSET survive.
    pub(super) fn finish_reset(&mut self, keep_power: bool) {
        self.resetting = false;
        self.notify = true;
        self.events.clear();
        if !keep_power {
            for d in &mut self.domains {
                d.ready = 0;
            }
        }
        for d in &mut self.domains {
            d.trans = 0;
        }
        for s in &mut self.spaces {
            s.reset();
        }
        self.gpu_fault_status = 0;
        self.gpu_fault_address = 0;
        self.flushes_pending = 0;
        self.l2_config = 0;
        self.pwr_override = [0; 2];
        self.pwr_unlocked = false;
        self.asn_hash = [0; 3];
        self.coherency_protocol = COHERENCY_NONE;
        self.impl_config = [0; 4];
        if let Some(t) = self.cycles_since.take() {
            self.cycles_accumulated = self
                .cycles_accumulated
                .wrapping_add(scale(self.now - t, self.core_hz()));
        }
        self.mcu_control = mcu::CONTROL_DISABLE;
        self.mcu_status = mcu::STATUS_DISABLED;
        self.mcu.stop();
        self.inject = self.inject.after_reset();
        self.job_irq.rawstat = 0;
        self.mmu_irq.rawstat = 0;
        self.gpu_irq.rawstat = gpu_irq::RESET_COMPLETED;
    }

    // ---- GPU_CONTROL ---------------------------------------------------------------------------------------------

    pub(super) fn gpu_status(&self) -> u32 {
        let mut s = 0;
        if self.resetting || self.flushes_pending > 0 {
            s |= gpu_status::ACTIVE;
        }
        if self.domains.iter().any(|d| d.trans != 0) {
            s |= gpu_status::PWR_ACTIVE;
        }
        if self.spaces.iter().any(|a| a.fault_pending()) {
            s |= gpu_status::PAGE_FAULT;
        }
        if self.cycles_since.is_some() {
            s |= gpu_status::CYCLE_COUNT_ACTIVE;
        }
        s
    }

    /// 64-bit GPU_CONTROL registers by the offset of their LO word.
    pub(super) fn read_gpu64(&self, lo: u32) -> Option<u64> {
        let ids = &self.cfg.ids;
        Some(match lo {
            gpu::GPU_FAULTADDRESS => self.gpu_fault_address,
            gpu::GPU_FEATURES => ids.gpu_features,
            gpu::TIMESTAMP_OFFSET => self.timestamp_offset,
            gpu::CYCLE_COUNT => self.cycle_count(),
            gpu::TIMESTAMP => self.timestamp(),
            _ => {
                for (d, regs) in self.domains.iter().zip(&DOMAINS) {
                    if lo == regs.present {
                        return Some(d.present);
                    } else if lo == regs.ready {
                        return Some(d.ready);
                    } else if lo == regs.pwrtrans {
                        return Some(d.trans);
                    } else if lo == regs.pwron || lo == regs.pwroff || Some(lo) == regs.pwractive {
                        return Some(0);
                    }
                }
                return None;
            }
        })
    }

    pub(super) fn read_gpu(&self, off: u32) -> Option<u32> {
        let ids = &self.cfg.ids;
        let tex = gpu::TEXTURE_FEATURES_0;
        Some(match off {
            gpu::GPU_ID => ids.gpu_id,
            gpu::L2_FEATURES => ids.l2_features,
            gpu::CORE_FEATURES => ids.core_features,
            gpu::TILER_FEATURES => ids.tiler_features,
            gpu::MEM_FEATURES => ids.mem_features,
            gpu::MMU_FEATURES => ids.mmu_features,
            gpu::AS_PRESENT => ids.as_present,
            gpu::CSF_ID => ids.csf_id,
            o if (gpu::IRQ_BASE..gpu::IRQ_BASE + 0x10).contains(&o) => {
                read_irq(&self.gpu_irq, o - gpu::IRQ_BASE)
            }
            gpu::GPU_COMMAND | gpu::PWR_KEY => 0,
            gpu::GPU_STATUS => self.gpu_status(),
            gpu::GPU_FAULTSTATUS => self.gpu_fault_status,
            gpu::L2_CONFIG => self.l2_config,
            gpu::PWR_OVERRIDE0 => self.pwr_override[0],
            gpu::PWR_OVERRIDE1 => self.pwr_override[1],
            gpu::PRFCNT_FEATURES => ids.prfcnt_features,
            gpu::THREAD_MAX_THREADS => ids.thread_max_threads,
            gpu::THREAD_MAX_WORKGROUP_SIZE => ids.thread_max_workgroup_size,
            gpu::THREAD_MAX_BARRIER_SIZE => ids.thread_max_barrier_size,
            gpu::THREAD_FEATURES => ids.thread_features,
            o if (tex..tex + 16).contains(&o) => ids.texture_features[((o - tex) / 4) as usize],
            gpu::GPU_REVID => ids.gpu_revid,
            o if (gpu::ASN_HASH_0..gpu::ASN_HASH_0 + 12).contains(&o) => {
                self.asn_hash[((o - gpu::ASN_HASH_0) / 4) as usize]
            }
            gpu::COHERENCY_FEATURES => ids.coherency_features,
            gpu::COHERENCY_PROTOCOL => self.coherency_protocol,
            gpu::THREAD_TLS_ALLOC => ids.thread_tls_alloc,
            gpu::MCU_CONTROL => self.mcu_control,
            gpu::MCU_STATUS => self.mcu_status,
            o if (gpu::CSF_CONFIG..gpu::CSF_CONFIG + 16).contains(&o) => {
                self.impl_config[((o - gpu::CSF_CONFIG) / 4) as usize]
            }
            o => half(self.read_gpu64(o & !4)?, o & 4 != 0),
        })
    }

    pub(super) fn write_gpu(&mut self, off: u32, v: u32) -> Write {
        match off {
            o if o == gpu::IRQ_BASE + irq::RAWSTAT => self.gpu_irq.raise(v),
            o if o == gpu::IRQ_BASE + irq::CLEAR => self.gpu_irq.clear(v, gpu_irq::DOORBELL_MIRROR),
            o if o == gpu::IRQ_BASE + irq::MASK => self.gpu_irq.mask = v,
            gpu::GPU_COMMAND => self.gpu_command(v),
            gpu::L2_CONFIG => self.l2_config = v,
            gpu::PWR_KEY => self.pwr_unlocked = v == gpu::PWR_KEY_UNLOCK,
            gpu::PWR_OVERRIDE0 | gpu::PWR_OVERRIDE1 => {
                if !self.pwr_unlocked {
                    return Write::ReadOnly;
                }
                self.pwr_override[((off - gpu::PWR_OVERRIDE0) / 4) as usize] = v;
                self.pwr_unlocked = false;
            }
            gpu::TIMESTAMP_OFFSET => set_half(&mut self.timestamp_offset, false, v),
            o if o == gpu::TIMESTAMP_OFFSET + 4 => set_half(&mut self.timestamp_offset, true, v),
            o if (gpu::ASN_HASH_0..gpu::ASN_HASH_0 + 12).contains(&o) => {
                self.asn_hash[((o - gpu::ASN_HASH_0) / 4) as usize] = v
            }
            gpu::COHERENCY_PROTOCOL => self.coherency_protocol = v,
            gpu::MCU_CONTROL => self.mcu_control_write(v),
            o if (gpu::CSF_CONFIG..gpu::CSF_CONFIG + 16).contains(&o) => {
                self.impl_config[((o - gpu::CSF_CONFIG) / 4) as usize] = v
            }
            o => {
                let lo = o & !4;
                let hi = o & 4 != 0;
                let bits = if hi { u64::from(v) << 32 } else { u64::from(v) };
                for (i, regs) in DOMAINS.iter().enumerate() {
                    if lo == regs.pwron {
                        self.power(i, bits, true);
                        return Write::Done;
                    } else if lo == regs.pwroff {
                        self.power(i, bits, false);
                        return Write::Done;
                    }
                }
                return if self.read_gpu(o).is_some() {
                    Write::ReadOnly
                } else {
                    Write::Hole
                };
            }
        }
        Write::Done
    }

    /// PWRON/PWROFF: units that are present, not already in the requested state and not mid-transition start one.
    pub(super) fn power(&mut self, domain: usize, bits: u64, on: bool) {
        let d = &mut self.domains[domain];
        let target = if on { !d.ready } else { d.ready };
        let bits = bits & d.present & target & !d.trans;
        if bits == 0 {
            return;
        }
        d.trans |= bits;
        let delay = self.cfg.timing.power_ns;
        self.schedule(delay, Event::Power { domain, bits, on });
    }

    pub(super) fn gpu_command(&mut self, v: u32) {
        if self.resetting {
            self.stats.commands_during_reset += 1;
            return;
        }
        let cmd = GpuCommand(v);
        match cmd.code() {
            gpu_command::RESET => {
                self.resetting = true;
                let keep_power = cmd.reset_kind() == gpu_command::RESET_FAST;
                let delay = self.cfg.timing.reset_ns;
                self.schedule(delay, Event::Reset { keep_power });
            }
            gpu_command::TIME => {
                if cmd.time_start() != 0 {
                    self.cycles_since.get_or_insert(self.now);
                } else if let Some(t) = self.cycles_since.take() {
                    self.cycles_accumulated = self
                        .cycles_accumulated
                        .wrapping_add(scale(self.now - t, self.core_hz()));
                }
            }
            gpu_command::FLUSH_CACHES => {
                self.flushes_pending += 1;
                let delay = self.cfg.timing.cache_flush_ns;
                self.schedule(delay, Event::CacheFlush);
            }
            gpu_command::CLEAR_FAULT => {
                self.gpu_fault_status = 0;
                self.gpu_fault_address = 0;
            }
            // NOP, PRFCNT, SET_PROTECTED_MODE, FINISH_HALT and undefined codes change nothing the model represents.
            _ => {}
        }
    }

    pub(super) fn mcu_control_write(&mut self, v: u32) {
        let v = v & 3;
        self.mcu_control = v;
        let delay = self.cfg.timing.mcu_boot_ns;
        match v {
            mcu::CONTROL_ENABLE | mcu::CONTROL_AUTO => self.schedule(delay, Event::McuStart),
            mcu::CONTROL_DISABLE => self.schedule(delay, Event::McuStop),
            _ => {}
        }
    }

    /// Records a GPU bus fault (first one wins until CLEAR_FAULT, as Tyr documents) and raises GPU IRQ FAULT.
    pub(super) fn gpu_bus_fault(&mut self, pa: u64, access: AccessType) {
        if self.gpu_fault_status == 0 {
            const GPU_BUS_FAULT: u32 = 0x80;
            self.gpu_fault_status = GpuFaultStatus::default()
                .set_exception_type(GPU_BUS_FAULT)
                .set_access_type(access as u32)
                .set_address_valid(1)
                .0;
            self.gpu_fault_address = pa;
            self.gpu_irq.raise(gpu_irq::FAULT);
        }
    }
}
