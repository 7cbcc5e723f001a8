// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr hw regs`: the binary prints the register file of a freshly reset G610 as a bring-up engineer reads it, in text
//! and in JSON, with the values documented for RK3588 (`Documentation/hardware.md#identity-registers`).

use std::process::Command;

use hw_board::hw_mali::regs::{self, Access};
use serde_json::Value;

fn tyr(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tyr"))
        .args(args)
        .output()
        .expect("run tyr");
    assert!(
        out.status.success(),
        "tyr {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&tyr(args)).expect("valid JSON")
}

fn registers(doc: &Value) -> Vec<&Value> {
    doc["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["registers"].as_array().unwrap())
        .collect()
}

fn reg<'a>(doc: &'a Value, name: &str) -> &'a Value {
    registers(doc)
        .into_iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn value(doc: &Value, name: &str) -> u64 {
    reg(doc, name)["value"]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} has no value"))
}

fn field(doc: &Value, reg_name: &str, field: &str) -> String {
    let r = reg(doc, reg_name);
    let f = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == field)
        .expect("field");
    f["text"].as_str().unwrap().to_string()
}

#[test]
fn text_groups_registers_by_block_in_address_order() {
    let out = tyr(&["hw", "regs"]);
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains(" @ 0x"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        heads,
        [
            "GPU_CONTROL",
            "JOB_CONTROL",
            "MMU_CONTROL",
            "USER",
            "DOORBELL"
        ]
    );
    assert!(out.starts_with(
        "Mali-G610 MP4 register file, RK3588 gpu@fb000000, after GPU_COMMAND SOFT_RESET"
    ));
    assert!(out.contains("bus errors while reading: 0"));
}

#[test]
fn text_shows_ids_with_decoded_fields() {
    let out = tyr(&["hw", "regs"]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} line"))
            .to_string()
    };
    let id = line("GPU_ID");
    assert!(id.contains("0xa8670005"), "{id}");
    assert!(
        id.contains("arch_major=10 arch_minor=8 arch_rev=6 product_major=7"),
        "{id}"
    );
    assert!(line("MMU_FEATURES").contains("pa_bits=40 va_bits=48"));
    assert!(
        line("GPU_IRQ_RAWSTAT").ends_with("RESET_COMPLETED"),
        "a reset leaves RESET_COMPLETED raised"
    );
    assert!(line("MCU_STATUS").ends_with("status=DISABLED"));
    assert!(line("COHERENCY_PROTOCOL").ends_with("protocol=NONE"));
    assert!(line("GPU_COMMAND").contains("(write-only)"));
    assert!(line("SHADER_PRESENT").contains("0x0000000000050005"));
}

#[test]
fn text_lists_the_eight_present_address_spaces_only() {
    let out = tyr(&["hw", "regs"]);
    for n in 0..8 {
        assert!(
            out.contains(&format!("  AS{n} @ {:#06x}", 0x2400 + 0x40 * n)),
            "AS{n} heading"
        );
        assert!(out.contains(&format!("AS{n}_TRANSCFG")));
    }
    assert!(!out.contains("AS8_"));
}

#[test]
fn json_lists_every_register_of_the_map_at_its_offset() {
    let doc = json(&["hw", "regs", "--json"]);
    for r in regs::REGISTERS {
        let j = reg(&doc, r.name);
        assert_eq!(
            j["offset"].as_u64(),
            Some(u64::from(r.offset)),
            "{}",
            r.name
        );
        assert_eq!(
            j["width"].as_u64(),
            Some(if r.is64 { 64 } else { 32 }),
            "{}",
            r.name
        );
        assert_eq!(
            j["value"].is_null(),
            r.access == Access::Wo,
            "{}: only write-only registers lack a value",
            r.name
        );
    }
    for n in 0..8u32 {
        for r in regs::AS_REGISTERS {
            let name = format!("AS{n}_{}", &r.name[3..]);
            let j = reg(&doc, &name);
            assert_eq!(
                j["offset"].as_u64(),
                Some(u64::from(0x2400 + 0x40 * n + r.offset)),
                "{name}"
            );
            assert_eq!(j["address_space"].as_u64(), Some(u64::from(n)));
        }
    }
    let doorbells = registers(&doc)
        .into_iter()
        .filter(|r| r["name"].as_str().unwrap().starts_with("DOORBELL"))
        .count();
    assert_eq!(doorbells, 24);
    assert_eq!(doc["bus_errors"].as_u64(), Some(0));
}

#[test]
fn json_registers_sit_inside_their_block() {
    let doc = json(&["hw", "regs", "--json"]);
    for b in doc["blocks"].as_array().unwrap() {
        let (base, size) = (b["base"].as_u64().unwrap(), b["size"].as_u64().unwrap());
        for r in b["registers"].as_array().unwrap() {
            let off = r["offset"].as_u64().unwrap();
            assert!(
                (base..base + size).contains(&off),
                "{} outside {}",
                r["name"],
                b["name"]
            );
        }
    }
}

#[test]
fn json_values_are_the_rk3588_reset_values() {
    let doc = json(&["hw", "regs", "--json"]);
    let expect: &[(&str, u64)] = &[
        ("GPU_ID", 0xA867_0005),
        ("L2_FEATURES", 0x0712_0306),
        ("TILER_FEATURES", 0x809),
        ("MEM_FEATURES", 0x301),
        ("MMU_FEATURES", 0x2830),
        ("AS_PRESENT", 0xFF),
        ("CSF_ID", 0x040A_0412),
        ("THREAD_FEATURES", 0x0401_0000),
        ("TEXTURE_FEATURES_0", 0xC1FF_FF9E),
        ("SHADER_PRESENT", 0x5_0005),
        ("TILER_PRESENT", 1),
        ("L2_PRESENT", 1),
        ("STACK_PRESENT", 0x55),
        ("GPU_IRQ_RAWSTAT", 0x100),
        ("GPU_IRQ_MASK", 0),
        ("GPU_STATUS", 0),
        ("L2_READY", 0),
        ("MCU_STATUS", 0),
        ("JOB_IRQ_RAWSTAT", 0),
        ("MMU_IRQ_RAWSTAT", 0),
        ("AS0_TRANSCFG", 0),
        ("AS7_STATUS", 0),
        ("LATEST_FLUSH_ID", 1),
    ];
    for &(name, v) in expect {
        assert_eq!(value(&doc, name), v, "{name}");
        assert_eq!(
            reg(&doc, name)["value_hex"].as_str(),
            Some(format!("{v:#x}").as_str())
        );
    }
    assert_eq!(field(&doc, "GPU_ID", "arch_major"), "10");
    assert_eq!(field(&doc, "THREAD_FEATURES", "max_task_queue"), "4");
    assert_eq!(doc["state"], "soft-reset");
    assert_eq!(doc["mmio_base"].as_u64(), Some(0xFB00_0000));
    assert!(
        doc["model_time_ns"].as_u64().unwrap() > 0,
        "the reset took model time"
    );
}

#[test]
fn power_on_state_has_no_reset_completed_and_no_time_elapsed() {
    let doc = json(&["hw", "regs", "--json", "--power-on"]);
    assert_eq!(doc["state"], "power-on");
    assert_eq!(value(&doc, "GPU_IRQ_RAWSTAT"), 0);
    assert_eq!(doc["model_time_ns"].as_u64(), Some(0));
    assert_eq!(value(&doc, "TIMESTAMP"), 0);
}
