// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The image parser on built images: the header, every entry kind, and each malformed case refused with `EINVAL`.

use super::*;

const RD: u32 = SectionFlags::RD.0;
const WR: u32 = SectionFlags::WR.0;
const EX: u32 = SectionFlags::EX.0;
const SHARED: u32 = SectionFlags::SHARED.0;
const ZERO: u32 = SectionFlags::ZERO.0;
const CACHED: u32 = 1 << 3;

/// Builds images field by field, so each test states only the field it breaks.
struct Builder {
    header: [u32; 5],
    entries: Vec<u8>,
    tail: Vec<u8>,
}

impl Builder {
    fn new() -> Self {
        Self {
            header: [MAGIC, 0, 0x1234, 0, 0],
            entries: Vec::new(),
            tail: Vec::new(),
        }
    }

    /// The minimal valid image: the shared section, 64 KiB, no data.
    fn valid() -> Self {
        let mut b = Self::new();
        b.iface(
            RD | WR | SHARED | ZERO,
            SHARED_REGION_START,
            SHARED_REGION_START + 0x1_0000,
            0,
            0,
            b"shared",
        );
        b
    }

    fn raw_entry(&mut self, word: u32, body: &[u8]) {
        self.entries.extend_from_slice(&word.to_le_bytes());
        self.entries.extend_from_slice(body);
    }

    fn iface(&mut self, flags: u32, va_start: u32, va_end: u32, ds: u32, de: u32, name: &[u8]) {
        let mut body = Vec::new();
        for w in [flags, va_start, va_end, ds, de] {
            body.extend_from_slice(&w.to_le_bytes());
        }
        body.extend_from_slice(name);
        body.resize(body.len().next_multiple_of(4), 0);
        self.raw_entry(
            ((body.len() as u32 + 4) << 8) | u32::from(entry_type::IFACE),
            &body,
        );
    }

    /// Offset of the first byte after the entry area, where `tail` (section data) starts.
    fn data_offset(&self) -> u32 {
        (HEADER_SIZE + self.entries.len()) as u32
    }

    fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut h = self.header;
        if h[4] == 0 {
            h[4] = self.data_offset();
        }
        for w in h {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.entries);
        out.extend_from_slice(&self.tail);
        out
    }
}

#[test]
fn the_models_image_parses_into_a_shared_and_a_code_section() {
    let bytes = hw_mali::csf::firmware_image();
    let img = Image::parse(&bytes).unwrap();
    assert_eq!((img.major, img.minor), (0, 0));
    assert_eq!(img.sections.len(), 2);
    let shared = img.shared_section().unwrap();
    assert!(shared.flags.shared() && shared.flags.zero() && shared.flags.writable());
    assert_eq!(shared.size(), hw_mali::csf::SHARED_SIZE);
    let code = &img.sections[1];
    assert_eq!(u64::from(code.va.start), hw_mali::csf::CODE_VA);
    assert!(code.flags.executable() && !code.flags.writable());
    assert_eq!(code.flags.cache_mode(), CacheMode::Cached);
    assert!(code.data.starts_with(b"tyr native MCU model"));
}

#[test]
fn a_minimal_image_parses() {
    let bytes = Builder::valid().build();
    let img = Image::parse(&bytes).unwrap();
    assert_eq!(img.version_hash, 0x1234);
    assert_eq!(img.shared_section().unwrap().name, b"shared\0\0");
}

#[test]
fn section_data_is_the_file_range_it_names() {
    let mut b = Builder::valid();
    let at = b.data_offset() + 24; // after the entry added next
    b.iface(RD | EX | CACHED, 0x1000, 0x2000, at, at + 4, b"");
    b.header[4] = b.data_offset();
    b.tail = vec![0xde, 0xad, 0xbe, 0xef];
    let bytes = b.build();
    let img = Image::parse(&bytes).unwrap();
    assert_eq!(img.sections[1].data, &[0xde, 0xad, 0xbe, 0xef]);
}

#[test]
fn an_empty_or_truncated_header_is_einval() {
    assert_eq!(Image::parse(&[]), Err(EINVAL));
    assert_eq!(Image::parse(&Builder::valid().build()[..19]), Err(EINVAL));
}

#[test]
fn a_wrong_magic_is_einval() {
    let mut b = Builder::valid();
    b.header[0] = 0xC3F1_3A6F;
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn a_major_version_other_than_0_is_einval() {
    let mut b = Builder::valid();
    b.header[1] = 1 << 8;
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
    b.header[1] = 7; // minor is free
    assert!(Image::parse(&b.build()).is_ok());
}

#[test]
fn non_zero_padding_is_einval() {
    let mut b = Builder::valid();
    b.header[1] = 1 << 16;
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
    let mut b = Builder::valid();
    b.header[3] = 1;
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn a_header_size_beyond_the_file_is_einval() {
    let mut b = Builder::valid();
    b.header[4] = b.data_offset() + 4;
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn an_entry_of_size_0_or_not_a_multiple_of_4_is_einval() {
    for size in [0u32, 2, 6] {
        let mut b = Builder::valid();
        b.raw_entry(size << 8 | u32::from(entry_type::CONFIG), &[0; 4]);
        assert_eq!(Image::parse(&b.build()), Err(EINVAL), "entry size {size}");
    }
}

#[test]
fn an_entry_running_past_the_header_size_is_einval() {
    let mut b = Builder::valid();
    b.raw_entry(16 << 8 | u32::from(entry_type::CONFIG), &[0; 4]);
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn a_truncated_entry_word_is_einval() {
    let mut b = Builder::valid();
    b.entries.extend_from_slice(&[0, 4]);
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn an_iface_entry_too_short_for_its_body_is_einval() {
    let mut b = Builder::valid();
    b.raw_entry(12 << 8, &[0; 8]);
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn known_non_iface_entries_are_skipped() {
    let mut b = Builder::valid();
    for t in [1u32, 2, 3, 4, 6] {
        b.raw_entry(8 << 8 | t, &[0xff; 4]);
    }
    assert_eq!(Image::parse(&b.build()).unwrap().sections.len(), 1);
}

#[test]
fn an_unknown_entry_is_einval_unless_optional() {
    let mut b = Builder::valid();
    b.raw_entry(4 << 8 | 5 | EntryHeader::OPTIONAL.0, &[]);
    assert!(Image::parse(&b.build()).is_ok());
    b.raw_entry(4 << 8 | 5, &[]);
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn an_unknown_section_flag_is_einval() {
    for bit in [6u32, 12, 29] {
        let mut b = Builder::valid();
        b.iface(RD | 1 << bit, 0x1000, 0x2000, 0, 0, b"");
        assert_eq!(Image::parse(&b.build()), Err(EINVAL), "bit {bit}");
    }
}

#[test]
fn a_protected_section_is_skipped() {
    let mut b = Builder::valid();
    b.iface(RD | SectionFlags::PROT.0, 0x1000, 0x2000, 0, 0, b"");
    assert_eq!(Image::parse(&b.build()).unwrap().sections.len(), 1);
}

#[test]
fn data_range_reversed_or_past_the_file_is_einval() {
    let mut b = Builder::valid();
    b.iface(RD, 0x1000, 0x2000, 8, 4, b"");
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
    let mut b = Builder::valid();
    let end = b.data_offset() + 24 + 64;
    b.iface(RD, 0x1000, 0x2000, 0, end, b"");
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn data_longer_than_the_section_is_einval() {
    let mut b = Builder::valid();
    b.iface(RD, 0x1000, 0x1000, 0, 4, b"");
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn a_reversed_or_unaligned_va_range_is_einval() {
    for (s, e) in [(0x2000u32, 0x1000u32), (0x1800, 0x2000), (0x1000, 0x2800)] {
        let mut b = Builder::valid();
        b.iface(RD, s, e, 0, 0, b"");
        assert_eq!(Image::parse(&b.build()), Err(EINVAL), "{s:#x}..{e:#x}");
    }
}

#[test]
fn an_image_without_the_shared_section_is_einval() {
    let mut b = Builder::new();
    b.iface(RD | WR, 0x1000, 0x2000, 0, 0, b"");
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
    assert_eq!(Image::parse(&Builder::new().build()), Err(EINVAL));
}

#[test]
fn a_shared_region_section_without_the_shared_flag_or_empty_is_einval() {
    let mut b = Builder::new();
    b.iface(
        RD | WR,
        SHARED_REGION_START,
        SHARED_REGION_START + 0x1000,
        0,
        0,
        b"",
    );
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
    let mut b = Builder::new();
    b.iface(
        RD | WR | SHARED,
        SHARED_REGION_START,
        SHARED_REGION_START,
        0,
        0,
        b"",
    );
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn overlapping_sections_are_einval() {
    let mut b = Builder::valid();
    b.iface(
        RD,
        SHARED_REGION_START + 0x8000,
        SHARED_REGION_START + 0x2_0000,
        0,
        0,
        b"",
    );
    assert_eq!(Image::parse(&b.build()), Err(EINVAL));
}

#[test]
fn every_truncation_of_the_models_image_is_an_error_not_a_panic() {
    let bytes = hw_mali::csf::firmware_image();
    for len in 0..bytes.len() {
        let _ = Image::parse(&bytes[..len]);
    }
    let mut flipped = bytes.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0xff;
        let _ = Image::parse(&flipped);
        flipped[i] ^= 0xff;
    }
}
