// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The CSF firmware image format (`Documentation/hardware.md#firmware-image`; Panthor's `panthor_fw_load` /
//! `panthor_fw_load_entry`, upstream Tyr's `fw/parser.rs`): a 20-byte header, then entries, of which the IFACE entries
//! describe the memory sections the MCU runs from.
//!
//! Parsing only reads the image: every field is bounds-checked and every malformed case is `EINVAL`, never a panic.
//! Where Panthor and upstream Tyr differ, this follows Tyr (the stricter): non-zero header padding is refused.

use core::ops::Range;

use kernel::error::code::EINVAL;
use kernel::error::Result;

/// The image magic (`CSF_FW_BINARY_HEADER_MAGIC`).
pub(crate) const MAGIC: u32 = 0xC3F1_3A6E;
/// The only image major version the drivers accept.
pub(crate) const MAJOR: u8 = 0;
/// Bytes of the file header.
pub(crate) const HEADER_SIZE: usize = 20;
/// MCU VA of the section that must hold the shared interface (`CSF_MCU_SHARED_REGION_START`).
pub(crate) const SHARED_REGION_START: u32 = 0x0400_0000;
/// Sections are mapped with 4 KiB pages; their VAs must be aligned to that.
const PAGE: u32 = 0x1000;

/// Entry types (entry word bits 7:0).
pub(crate) mod entry_type {
    /// A memory section (IFACE).
    pub(crate) const IFACE: u8 = 0;
    /// Firmware configuration options.
    pub(crate) const CONFIG: u8 = 1;
    /// Unit-test hooks.
    pub(crate) const FUTF_TEST: u8 = 2;
    /// Trace buffer description.
    pub(crate) const TRACE_BUFFER: u8 = 3;
    /// Timeline metadata.
    pub(crate) const TIMELINE_METADATA: u8 = 4;
    /// Build information (git sha).
    pub(crate) const BUILD_INFO_METADATA: u8 = 6;
}

/// Entry word bit 31: an entry of unknown type with this bit is skipped rather than failing the load.
const ENTRY_OPTIONAL: u32 = 1 << 31;

/// How a section is cached (IFACE flags bits 4:3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Not cached.
    None,
    /// Cached (the only mode Panthor maps as cacheable).
    Cached,
    /// Uncached, coherent.
    UncachedCoherent,
    /// Cached, coherent.
    CachedCoherent,
}

/// The flags of an IFACE entry (`CSF_FW_BINARY_IFACE_ENTRY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SectionFlags(u32);

impl SectionFlags {
    /// The MCU may read the section.
    pub(crate) const RD: u32 = 1 << 0;
    /// The MCU may write the section (absent: mapped read-only).
    pub(crate) const WR: u32 = 1 << 1;
    /// The MCU may execute the section (absent: mapped no-exec).
    pub(crate) const EX: u32 = 1 << 2;
    /// Cache mode field, bits 4:3.
    pub(crate) const CACHE_MODE_MASK: u32 = 3 << 3;
    /// Protected-mode section: skipped (protected mode is not supported).
    pub(crate) const PROT: u32 = 1 << 5;
    /// Shared with the host: the driver keeps a CPU view of it.
    pub(crate) const SHARED: u32 = 1 << 30;
    /// The part of the section beyond the copied data is zero-filled.
    pub(crate) const ZERO: u32 = 1 << 31;
    /// Every bit a driver understands; anything else fails the load.
    pub(crate) const KNOWN: u32 = Self::RD
        | Self::WR
        | Self::EX
        | Self::CACHE_MODE_MASK
        | Self::PROT
        | Self::SHARED
        | Self::ZERO;

    /// `EINVAL` if `bits` holds a flag the drivers do not know.
    pub(crate) fn from_bits(bits: u32) -> Result<Self> {
        if bits & !Self::KNOWN != 0 {
            return Err(EINVAL);
        }
        Ok(Self(bits))
    }

    /// The raw bits.
    pub(crate) fn bits(self) -> u32 {
        self.0
    }

    fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// Whether the MCU may write the section.
    pub(crate) fn writable(self) -> bool {
        self.has(Self::WR)
    }

    /// Whether the MCU may execute the section.
    pub(crate) fn executable(self) -> bool {
        self.has(Self::EX)
    }

    /// Whether the section is protected-mode only.
    pub(crate) fn protected(self) -> bool {
        self.has(Self::PROT)
    }

    /// Whether the host keeps a view of the section.
    pub(crate) fn shared(self) -> bool {
        self.has(Self::SHARED)
    }

    /// Whether the rest of the section is zero-filled.
    pub(crate) fn zero(self) -> bool {
        self.has(Self::ZERO)
    }

    /// The cache mode.
    pub(crate) fn cache_mode(self) -> CacheMode {
        match (self.0 & Self::CACHE_MODE_MASK) >> 3 {
            0 => CacheMode::None,
            1 => CacheMode::Cached,
            2 => CacheMode::UncachedCoherent,
            _ => CacheMode::CachedCoherent,
        }
    }
}

/// One loadable memory section of the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section<'a> {
    /// Its flags.
    pub(crate) flags: SectionFlags,
    /// The MCU VAs it occupies (4 KiB aligned; may be empty).
    pub(crate) va: Range<u32>,
    /// The bytes it starts with (at most `va`'s length); the rest is zero.
    pub(crate) data: &'a [u8],
    /// Its name (the rest of the entry; may be empty).
    pub(crate) name: &'a [u8],
}

impl Section<'_> {
    /// Bytes of MCU VA the section spans.
    pub(crate) fn size(&self) -> u64 {
        u64::from(self.va.end - self.va.start)
    }
}

/// A parsed firmware image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Image<'a> {
    /// Image minor version.
    pub(crate) minor: u8,
    /// Image major version (always [`MAJOR`]).
    pub(crate) major: u8,
    /// The image's version hash.
    pub(crate) version_hash: u32,
    /// The loadable sections, in image order (protected-mode sections left out).
    pub(crate) sections: Vec<Section<'a>>,
}

impl<'a> Image<'a> {
    /// Parses `bytes`. `EINVAL` for anything malformed (see the module documentation and
    /// `Documentation/hardware.md#firmware-image`), including an image without a non-empty SHARED section at
    /// [`SHARED_REGION_START`] and sections that overlap.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let r = Reader(bytes);
        if r.u32(0)? != MAGIC {
            return Err(EINVAL);
        }
        let minor = r.u8(4)?;
        let major = r.u8(5)?;
        if major != MAJOR {
            return Err(EINVAL);
        }
        // Upstream Tyr refuses non-zero padding (Panthor ignores it).
        if r.u16(6)? != 0 || r.u32(12)? != 0 {
            return Err(EINVAL);
        }
        let version_hash = r.u32(8)?;
        let size = r.u32(16)? as usize;
        if size > bytes.len() {
            return Err(EINVAL);
        }
        let entries = Reader(&bytes[..size]);
        let mut sections = Vec::new();
        let mut off = HEADER_SIZE;
        while off < size {
            let word = entries.u32(off)?;
            let len = ((word >> 8) & 0xff) as usize;
            if len < 4 || !len.is_multiple_of(4) || off + len > size {
                return Err(EINVAL);
            }
            let body = Reader(&bytes[off + 4..off + len]);
            match (word & 0xff) as u8 {
                entry_type::IFACE => {
                    if let Some(s) = parse_iface(bytes, body)? {
                        kernel::alloc::try_push(&mut sections, s)?;
                    }
                }
                entry_type::CONFIG
                | entry_type::FUTF_TEST
                | entry_type::TRACE_BUFFER
                | entry_type::TIMELINE_METADATA
                | entry_type::BUILD_INFO_METADATA => {}
                _ if word & ENTRY_OPTIONAL != 0 => {}
                _ => return Err(EINVAL),
            }
            off += len;
        }
        check_layout(&sections)?;
        Ok(Self {
            minor,
            major,
            version_hash,
            sections,
        })
    }

    /// The shared interface section (present in every parsed image).
    #[cfg(test)]
    pub(crate) fn shared_section(&self) -> Option<&Section<'a>> {
        self.sections
            .iter()
            .find(|s| s.va.start == SHARED_REGION_START)
    }
}

/// An IFACE entry body: flags, va_start, va_end, data_start, data_end, then the name. `None` for a protected-mode
/// section, which is skipped.
fn parse_iface<'a>(file: &'a [u8], body: Reader<'a>) -> Result<Option<Section<'a>>> {
    let flags = SectionFlags::from_bits(body.u32(0)?)?;
    let (va_start, va_end) = (body.u32(4)?, body.u32(8)?);
    let (data_start, data_end) = (body.u32(12)? as usize, body.u32(16)? as usize);
    let name = body.0.get(20..).ok_or(EINVAL)?;
    if va_end < va_start || !(va_start | va_end).is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    let data = file.get(data_start..data_end).ok_or(EINVAL)?;
    if data.len() as u64 > u64::from(va_end - va_start) {
        return Err(EINVAL);
    }
    if flags.protected() {
        return Ok(None);
    }
    Ok(Some(Section {
        flags,
        va: va_start..va_end,
        data,
        name,
    }))
}

/// The shared section exists, is SHARED and not empty; no two non-empty sections overlap.
fn check_layout(sections: &[Section<'_>]) -> Result {
    let shared = sections
        .iter()
        .find(|s| s.va.start == SHARED_REGION_START)
        .ok_or(EINVAL)?;
    if !shared.flags.shared() || shared.va.is_empty() {
        return Err(EINVAL);
    }
    for (i, a) in sections.iter().enumerate() {
        for b in &sections[i + 1..] {
            if !a.va.is_empty()
                && !b.va.is_empty()
                && a.va.start < b.va.end
                && b.va.start < a.va.end
            {
                return Err(EINVAL);
            }
        }
    }
    Ok(())
}

/// Bounds-checked little-endian reads of a byte slice; out of range is `EINVAL`.
#[derive(Clone, Copy)]
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&self, off: usize) -> Result<[u8; N]> {
        let end = off.checked_add(N).ok_or(EINVAL)?;
        self.0
            .get(off..end)
            .and_then(|b| b.try_into().ok())
            .ok_or(EINVAL)
    }

    fn u8(&self, off: usize) -> Result<u8> {
        Ok(self.bytes::<1>(off)?[0])
    }

    fn u16(&self, off: usize) -> Result<u16> {
        Ok(u16::from_le_bytes(self.bytes(off)?))
    }

    fn u32(&self, off: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes(off)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RD: u32 = SectionFlags::RD;
    const WR: u32 = SectionFlags::WR;
    const EX: u32 = SectionFlags::EX;
    const SHARED: u32 = SectionFlags::SHARED;
    const ZERO: u32 = SectionFlags::ZERO;
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
        b.raw_entry(4 << 8 | 5 | ENTRY_OPTIONAL, &[]);
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
        b.iface(RD | SectionFlags::PROT, 0x1000, 0x2000, 0, 0, b"");
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
}
