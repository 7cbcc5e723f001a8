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

kernel::register_fields! {
    /// An entry's header word (`CSF_FW_BINARY_ENTRY_*`).
    pub(crate) struct EntryHeader(u32) {
        /// The entry type ([`entry_type`]).
        7:0 entry_type, set_entry_type;
        /// The entry's size in bytes, header included.
        15:8 size, set_size;
        /// An entry of unknown type with this bit is skipped rather than failing the load.
        31:31 optional, set_optional = OPTIONAL;
    }
}

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

kernel::register_fields! {
    /// The flags of an IFACE entry (`CSF_FW_BINARY_IFACE_ENTRY_*`).
    #[derive(Hash)]
    pub(crate) struct SectionFlags(u32) {
        /// The MCU may read the section.
        0:0 readable, set_readable = RD;
        /// The MCU may write the section (absent: mapped read-only).
        1:1 writable_bit, set_writable = WR;
        /// The MCU may execute the section (absent: mapped no-exec).
        2:2 executable_bit, set_executable = EX;
        /// How the section is cached ([`CacheMode`]).
        4:3 cache_mode_bits, set_cache_mode = CACHE_MODE;
        /// Protected-mode section: skipped (protected mode is not supported).
        5:5 protected_bit, set_protected = PROT;
        /// Shared with the host: the driver keeps a CPU view of it.
        30:30 shared_bit, set_shared = SHARED;
        /// The part of the section beyond the copied data is zero-filled.
        31:31 zero_bit, set_zero = ZERO;
    }
}

impl SectionFlags {
    /// Every bit a driver understands; anything else fails the load.
    pub(crate) const KNOWN: u32 = Self::RD.0
        | Self::WR.0
        | Self::EX.0
        | Self::CACHE_MODE.0
        | Self::PROT.0
        | Self::SHARED.0
        | Self::ZERO.0;

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

    /// Whether the MCU may write the section.
    pub(crate) fn writable(self) -> bool {
        self.writable_bit() != 0
    }

    /// Whether the MCU may execute the section.
    pub(crate) fn executable(self) -> bool {
        self.executable_bit() != 0
    }

    /// Whether the section is protected-mode only.
    pub(crate) fn protected(self) -> bool {
        self.protected_bit() != 0
    }

    /// Whether the host keeps a view of the section.
    pub(crate) fn shared(self) -> bool {
        self.shared_bit() != 0
    }

    /// Whether the rest of the section is zero-filled.
    pub(crate) fn zero(self) -> bool {
        self.zero_bit() != 0
    }

    /// The cache mode.
    pub(crate) fn cache_mode(self) -> CacheMode {
        match self.cache_mode_bits() {
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
            let word = EntryHeader(entries.u32(off)?);
            let len = word.size() as usize;
            if len < 4 || !len.is_multiple_of(4) || off + len > size {
                return Err(EINVAL);
            }
            let body = Reader(&bytes[off + 4..off + len]);
            match word.entry_type() as u8 {
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
                _ if word.optional() != 0 => {}
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
mod tests;
