// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr hw`: look at the modelled hardware directly, as a board bring-up engineer with a bus probe would.
//!
//! `tyr hw regs` builds a fresh RK3588 board, soft-resets the GPU through MMIO (GPU_COMMAND 0x101, the model clock
//! stepped until the reset completes), then reads every register of the Mali's window through the CPU's bus
//! ([`hw_board::Io`], physical addresses from 0xFB00_0000) and prints them grouped by block, with offsets, access,
//! values and decoded bit fields; `--json` prints the same as one JSON document. No driver is involved.

use clap::Subcommand;
use hw_board::hw_mali::regmap::{self, Block, Field, FieldKind};
use hw_board::hw_mali::regs::{self, block, gpu, gpu_command, irq, mmu, Access, Reg};
use hw_board::{Board, MALI_BASE};
use serde_json::{json, Value};
use tyr_cli::replay::ReplayError;

/// `tyr hw ...`.
#[derive(Subcommand)]
pub enum HwCommand {
    /// Print the register file of a freshly reset Mali-G610, grouped by block, with decoded fields.
    Regs {
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Show the power-on state instead (no soft reset: GPU_IRQ_RAWSTAT has no RESET_COMPLETED yet).
        #[arg(long)]
        power_on: bool,
    },
}

/// Runs a `tyr hw` subcommand and returns what it prints.
pub fn run(cmd: HwCommand) -> Result<String, ReplayError> {
    match cmd {
        HwCommand::Regs { json, power_on } => {
            let snap = snapshot(!power_on)?;
            Ok(if json {
                render_json(&snap)
            } else {
                render_text(&snap)
            })
        }
    }
}

/// One register as read over the bus.
struct Row {
    name: String,
    offset: u32,
    is64: bool,
    access: Access,
    /// `None` for write-only registers (reading them returns 0 and means nothing).
    value: Option<u64>,
    fields: &'static [Field],
    /// The address space a per-AS register belongs to.
    address_space: Option<u32>,
}

/// The whole window as read.
struct Snapshot {
    after_reset: bool,
    model_time_ns: u64,
    blocks: Vec<(&'static Block, Vec<Row>)>,
    bus_errors: u64,
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> ReplayError {
    move |e| ReplayError::Setup(format!("{what}: {e}"))
}

fn snapshot(reset: bool) -> Result<Snapshot, ReplayError> {
    let board = Board::rk3588().map_err(setup("board"))?;
    let io = board.io();
    let pa = |off: u32| MALI_BASE + u64::from(off);
    if reset {
        // Panthor's soft reset: clear RESET_COMPLETED, issue SOFT_RESET, wait for the reset to finish. The model's clock
        // is stepped (deterministically) instead of waiting on the IRQ line.
        io.write32(pa(gpu::IRQ_BASE + irq::CLEAR), 0xFFFF_FFFF)
            .map_err(setup("GPU_IRQ_CLEAR"))?;
        let soft_reset = gpu_command::RESET | gpu_command::RESET_SOFT << 8;
        io.write32(pa(gpu::GPU_COMMAND), soft_reset)
            .map_err(setup("GPU_COMMAND"))?;
        board.gpu().run_until_idle();
    }

    let read = |reg: &Reg, offset: u32| -> Result<Option<u64>, ReplayError> {
        if reg.access == Access::Wo {
            return Ok(None);
        }
        let v = if reg.is64 {
            io.read64(pa(offset))
        } else {
            io.read32(pa(offset)).map(u64::from)
        };
        v.map(Some)
            .map_err(|e| ReplayError::Setup(format!("{}: {e}", reg.name)))
    };
    let mut blocks: Vec<(&'static Block, Vec<Row>)> =
        regmap::BLOCKS.iter().map(|b| (b, Vec::new())).collect();
    let mut push = |row: Row| {
        if let Some((_, rows)) = blocks.iter_mut().find(|(b, _)| b.contains(row.offset)) {
            rows.push(row);
        }
    };
    for reg in regs::REGISTERS {
        let value = read(reg, reg.offset)?;
        push(Row {
            name: reg.name.to_string(),
            offset: reg.offset,
            is64: reg.is64,
            access: reg.access,
            value,
            fields: regmap::fields_of(reg.name),
            address_space: None,
        });
    }
    let as_present = io
        .read32(pa(gpu::AS_PRESENT))
        .map_err(setup("AS_PRESENT"))?;
    for n in (0..mmu::AS_SLOTS).filter(|n| as_present & (1 << n) != 0) {
        for reg in regs::AS_REGISTERS {
            let offset = mmu::AS_BASE + n * mmu::AS_STRIDE + reg.offset;
            let value = read(reg, offset)?;
            push(Row {
                name: format!("AS{n}_{}", &reg.name[3..]),
                offset,
                is64: reg.is64,
                access: reg.access,
                value,
                fields: regmap::fields_of(reg.name),
                address_space: Some(n),
            });
        }
    }
    for i in 0..block::DOORBELL_COUNT {
        push(Row {
            name: format!("DOORBELL{i}"),
            offset: block::DOORBELL_BASE + i * block::DOORBELL_STRIDE,
            is64: false,
            access: Access::Wo,
            value: None,
            fields: &[],
            address_space: None,
        });
    }
    let stats = io.stats();
    Ok(Snapshot {
        after_reset: reset,
        model_time_ns: board.gpu().now_ns(),
        blocks,
        bus_errors: stats.unmapped + stats.misaligned,
    })
}

fn access_name(a: Access) -> &'static str {
    match a {
        Access::Ro => "RO",
        Access::Wo => "WO",
        Access::Rw => "RW",
    }
}

/// The decoded fields of a value as one line, most significant field first (the order one reads a hex value in):
/// multi-bit fields as `name=value`, set flags by name, unnamed set bits as `+0x...`. A zero value reads `-` (nothing
/// set, no fault, no address), except in registers that start with a coded field (MCU_STATUS, TRANSCFG, ...), whose
/// code 0 has a name worth printing.
fn decode_line(fields: &[Field], value: u64) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let coded = matches!(fields.first().map(|f| f.kind), Some(FieldKind::Enum(_)));
    if value == 0 && !coded {
        return "-".into();
    }
    let mut parts = Vec::new();
    for d in regmap::decode(fields, value).into_iter().rev() {
        match d.field.kind {
            FieldKind::Flag if d.value != 0 => parts.push(d.field.name.to_string()),
            FieldKind::Flag => {}
            FieldKind::Enum(_) => parts.push(format!("{}={}", d.field.name, d.text)),
            _ if value == 0 => {}
            _ => parts.push(format!("{}={}", d.field.name, d.text)),
        }
    }
    let rest = regmap::unnamed_bits(fields, value);
    if rest != 0 {
        parts.push(format!("+{rest:#x}"));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

fn value_text(row: &Row) -> String {
    match (row.value, row.is64) {
        (None, _) => "(write-only)".into(),
        (Some(v), true) => format!("{v:#018x}"),
        (Some(v), false) => format!("{v:#010x}"),
    }
}

fn render_text(s: &Snapshot) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let state = if s.after_reset {
        "after GPU_COMMAND SOFT_RESET (0x101)"
    } else {
        "at power-on"
    };
    let _ = writeln!(
        out,
        "Mali-G610 MP4 register file, RK3588 gpu@{MALI_BASE:x}, {state}, model time {} ns",
        s.model_time_ns
    );
    for (b, rows) in &s.blocks {
        let _ = writeln!(
            out,
            "\n{} @ {:#07x}..{:#07x}  ({})",
            b.name,
            b.base,
            b.base + b.size,
            b.summary
        );
        if b.base == block::DOORBELL_BASE {
            let first = rows.first().map_or(0, |r| r.offset);
            let last = rows.last().map_or(0, |r| r.offset);
            let _ = writeln!(
                out,
                "  {} doorbells, write-only, DOORBELL0 at {first:#07x} .. DOORBELL{} at {last:#07x}, stride {:#x}",
                rows.len(),
                rows.len().saturating_sub(1),
                block::DOORBELL_STRIDE
            );
            continue;
        }
        let mut current_as = None;
        for row in rows {
            if row.address_space != current_as {
                current_as = row.address_space;
                if let Some(n) = current_as {
                    let _ = writeln!(out, "  AS{n} @ {:#06x}", mmu::AS_BASE + n * mmu::AS_STRIDE);
                }
            }
            let indent = if row.address_space.is_some() {
                "    "
            } else {
                "  "
            };
            let decoded = row
                .value
                .map(|v| decode_line(row.fields, v))
                .unwrap_or_default();
            let line = format!(
                "{indent}{:#07x}  {:<26} {} {:>2}  {:<18}  {decoded}",
                row.offset,
                row.name,
                access_name(row.access),
                if row.is64 { 64 } else { 32 },
                value_text(row),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let absent = mmu::AS_SLOTS as usize
        - s.blocks
            .iter()
            .flat_map(|(_, r)| r)
            .filter_map(|r| r.address_space)
            .max()
            .map_or(0, |m| m as usize + 1);
    if absent > 0 {
        let _ = writeln!(out, "\n{absent} address-space slots beyond AS_PRESENT are not decoded (bus error on access)");
    }
    let _ = writeln!(out, "bus errors while reading: {}", s.bus_errors);
    out
}

fn render_json(s: &Snapshot) -> String {
    let blocks: Vec<Value> = s
        .blocks
        .iter()
        .map(|(b, rows)| {
            let regs: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let fields: Vec<Value> = row
                        .value
                        .map(|v| {
                            regmap::decode(row.fields, v)
                                .into_iter()
                                .map(|d| {
                                    json!({
                                        "name": d.field.name,
                                        "lsb": d.field.lsb,
                                        "width": d.field.width,
                                        "value": d.value,
                                        "text": d.text,
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    json!({
                        "name": row.name,
                        "offset": row.offset,
                        "offset_hex": format!("{:#x}", row.offset),
                        "address_space": row.address_space,
                        "width": if row.is64 { 64 } else { 32 },
                        "access": access_name(row.access),
                        "value": row.value,
                        "value_hex": row.value.map(|v| format!("{v:#x}")),
                        "fields": fields,
                        "unnamed_bits": row.value.map(|v| regmap::unnamed_bits(row.fields, v)),
                    })
                })
                .collect();
            json!({
                "name": b.name,
                "base": b.base,
                "size": b.size,
                "summary": b.summary,
                "registers": regs,
            })
        })
        .collect();
    let doc = json!({
        "board": "rk3588",
        "gpu": "mali-g610",
        "mmio_base": MALI_BASE,
        "state": if s.after_reset { "soft-reset" } else { "power-on" },
        "model_time_ns": s.model_time_ns,
        "bus_errors": s.bus_errors,
        "blocks": blocks,
    });
    // Serialising a Value built from numbers and strings cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
