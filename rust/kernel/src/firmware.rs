// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Firmware loading (`kernel::firmware`, `request_firmware` in `drivers/base/firmware_loader/`).
//!
//! On a real system the loader looks the name up under `/lib/firmware`. Here the platform plays that role: the board
//! glue registers named blobs on the [`platform::Device`] (as a distribution installs `linux-firmware`), and
//! [`request_firmware`] finds them by name. A name nobody registered is `ENOENT`, as from the real loader.

use std::sync::Arc;

use crate::error::code::ENOENT;
use crate::error::Result;
use crate::platform;

/// A loaded firmware image (`struct firmware`): immutable bytes, released when dropped (`release_firmware`).
#[derive(Clone)]
pub struct Firmware {
    name: String,
    data: Arc<[u8]>,
}

impl Firmware {
    /// The name it was requested by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The image bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The image size in bytes.
    pub fn size(&self) -> usize {
        self.data.len()
    }
}

impl core::fmt::Debug for Firmware {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Firmware")
            .field("name", &self.name)
            .field("size", &self.data.len())
            .finish()
    }
}

/// Loads the firmware `name` for `dev` (`request_firmware`); `ENOENT` when no such image is installed.
pub fn request_firmware(dev: &platform::Device, name: &str) -> Result<Firmware> {
    let data = dev.firmware_blob(name).ok_or(ENOENT)?;
    Ok(Firmware {
        name: name.to_string(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hw_mem::{Ram, RamConfig};

    fn device() -> platform::Device {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(1 << 20)).unwrap());
        platform::Device::new("test.dev", vec![], vec![], vec![], ram)
    }

    #[test]
    fn a_registered_image_is_found_by_name() {
        let mut dev = device();
        dev.add_firmware("vendor/fw.bin", vec![1, 2, 3]);
        let fw = request_firmware(&dev, "vendor/fw.bin").unwrap();
        assert_eq!(
            (fw.name(), fw.data(), fw.size()),
            ("vendor/fw.bin", &[1u8, 2, 3][..], 3)
        );
    }

    #[test]
    fn a_missing_image_is_enoent() {
        let mut dev = device();
        dev.add_firmware("vendor/fw.bin", vec![1]);
        assert_eq!(
            request_firmware(&dev, "vendor/other.bin").err(),
            Some(ENOENT)
        );
    }

    #[test]
    fn registering_a_name_again_replaces_the_image() {
        let mut dev = device();
        dev.add_firmware("fw.bin", vec![1]);
        dev.add_firmware("fw.bin", vec![2, 2]);
        assert_eq!(request_firmware(&dev, "fw.bin").unwrap().data(), &[2, 2]);
        assert!(dev.remove_firmware("fw.bin"));
        assert_eq!(request_firmware(&dev, "fw.bin").err(), Some(ENOENT));
    }
}
