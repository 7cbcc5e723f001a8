// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The board as a driver sees it: MMIO by physical address, bus errors, IRQ lines by name, handler threads.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hw_board::hw_mali::regs::{gpu, gpu_irq, irq, mmu};
use hw_board::{Board, IoError, IoStats, GPU_IRQS, MALI_BASE};
use hw_mali::IrqKind;

fn board() -> Board {
    Board::rk3588().expect("board")
}

#[test]
fn gpu_id_reads_at_the_mali_base() {
    let b = board();
    assert_eq!(
        b.io().read32(MALI_BASE + u64::from(gpu::GPU_ID)).unwrap(),
        0xA867_0005
    );
}

#[test]
fn read64_combines_lo_and_hi_words() {
    let b = board();
    assert_eq!(
        b.io()
            .read64(MALI_BASE + u64::from(gpu::SHADER_PRESENT))
            .unwrap(),
        0x5_0005
    );
}

#[test]
fn write64_reaches_both_halves_of_a_register() {
    let b = board();
    let pa = MALI_BASE + u64::from(mmu::AS_BASE + mmu::TRANSTAB);
    b.io().write64(pa, 0x0000_0012_3456_7000).unwrap();
    assert_eq!(b.io().read32(pa + 4).unwrap(), 0x12);
    assert_eq!(b.io().read64(pa).unwrap(), 0x0000_0012_3456_7000);
}

#[test]
fn address_outside_every_device_is_a_counted_bus_error() {
    let b = board();
    assert_eq!(
        b.io().read32(0xFA00_0000),
        Err(IoError::Unmapped { pa: 0xFA00_0000 })
    );
    assert_eq!(
        b.io().write32(MALI_BASE + 0x20_0000, 0),
        Err(IoError::Unmapped {
            pa: MALI_BASE + 0x20_0000
        })
    );
    assert_eq!(
        b.io().stats(),
        IoStats {
            unmapped: 2,
            misaligned: 0
        }
    );
}

#[test]
fn hole_inside_the_mali_window_is_a_counted_bus_error() {
    let b = board();
    assert_eq!(
        b.io().read32(MALI_BASE + 0x3000),
        Err(IoError::Unmapped {
            pa: MALI_BASE + 0x3000
        })
    );
    assert_eq!(b.io().stats().unmapped, 1);
}

#[test]
fn misaligned_accesses_are_counted_bus_errors() {
    let b = board();
    assert_eq!(
        b.io().read32(MALI_BASE + 2),
        Err(IoError::Misaligned {
            pa: MALI_BASE + 2,
            width: 32
        })
    );
    assert_eq!(
        b.io().read64(MALI_BASE + 4),
        Err(IoError::Misaligned {
            pa: MALI_BASE + 4,
            width: 64
        })
    );
    assert_eq!(b.io().stats().misaligned, 2);
}

#[test]
fn irq_lines_are_found_by_device_tree_name() {
    let b = board();
    for spec in GPU_IRQS {
        assert_eq!(b.irq_byname(spec.name).unwrap().kind(), spec.kind);
        assert_eq!(spec.intid, spec.spi + 32);
    }
    assert!(b.irq_byname("bogus").is_none());
}

#[test]
fn ram_does_not_cover_the_mali_window() {
    let b = board();
    assert!(!b.ram().contains(MALI_BASE, 4));
    assert!(b.ram().alloc_frame().is_ok());
}

#[test]
fn irq_handler_thread_runs_on_the_line_and_its_clear_drops_it() {
    let b = board();
    let io_gpu = b.gpu().clone();
    let seen = Arc::new(AtomicU32::new(0));
    let (seen2, done_tx) = (seen.clone(), std::sync::mpsc::channel::<()>());
    let (tx, rx) = done_tx;
    let handler = b
        .spawn_irq_handler(IrqKind::Gpu, move || {
            let stat = io_gpu.read32(gpu::IRQ_BASE + irq::STAT).unwrap();
            io_gpu.write32(gpu::IRQ_BASE + irq::CLEAR, stat).unwrap();
            seen2.fetch_or(stat, Ordering::SeqCst);
            let _ = tx.send(());
        })
        .unwrap();
    let _model = b.start_model_thread().unwrap();
    let base = MALI_BASE + u64::from(gpu::IRQ_BASE);
    b.io()
        .write32(base + u64::from(irq::MASK), gpu_irq::RESET_COMPLETED)
        .unwrap();
    b.io()
        .write32(MALI_BASE + u64::from(gpu::GPU_COMMAND), 0x101)
        .unwrap();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("handler ran");
    drop(handler);
    assert_eq!(seen.load(Ordering::SeqCst), gpu_irq::RESET_COMPLETED);
    assert!(!b.irq(IrqKind::Gpu).is_asserted());
}

#[test]
fn stopping_an_idle_handler_thread_returns_promptly() {
    let b = board();
    let h = b.spawn_irq_handler(IrqKind::Mmu, || {}).unwrap();
    // Stop it on another thread, so that a stop that never returns fails the test instead of hanging it.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let stopper = std::thread::spawn(move || {
        drop(h);
        let _ = done_tx.send(());
    });
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("stopping an idle handler thread did not return within 5 s");
    stopper.join().unwrap();
}
