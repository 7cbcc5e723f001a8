// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The fake part of the file system: `/dev/dri`, and the sysfs entries through which libdrm, libudev and Mesa learn
//! that the nodes belong to a `panthor` platform device (`Documentation/testing.md#igt-through-the-shim`).
//!
//! The tree is data: a map from absolute path to [`Node`]. [`resolve`] walks a path through it lexically, following
//! the fake symlinks; a path that leaves the fake tree through a link (`.../subsystem` → `/sys/bus/platform`) comes
//! back as the real path to use instead.

use std::collections::{BTreeMap, VecDeque};
use std::sync::OnceLock;

/// DRM's character-device major.
pub const DRM_MAJOR: u32 = 226;
/// The platform device the nodes hang off, as the RK3588 device tree names it (`gpu@fb000000`).
pub const GPU_SYSFS: &str = "/sys/devices/platform/fb000000.gpu";

/// A DRM minor the shim presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Minor {
    /// `/dev/dri/card0`, minor 0: a primary node.
    Card0,
    /// `/dev/dri/renderD128`, minor 128: a render node.
    Render128,
}

impl Minor {
    /// The minor number.
    pub fn number(self) -> u32 {
        match self {
            Minor::Card0 => 0,
            Minor::Render128 => 128,
        }
    }

    /// The node's name under `/dev/dri` and `/sys/class/drm`.
    pub fn name(self) -> &'static str {
        match self {
            Minor::Card0 => "card0",
            Minor::Render128 => "renderD128",
        }
    }

    /// The node's path.
    pub fn dev_path(self) -> &'static str {
        match self {
            Minor::Card0 => "/dev/dri/card0",
            Minor::Render128 => "/dev/dri/renderD128",
        }
    }

    const ALL: [Minor; 2] = [Minor::Card0, Minor::Render128];
}

/// One entry of the fake tree.
#[derive(Debug)]
pub enum Node {
    /// A directory; its entries are the paths one level below it.
    Dir,
    /// A read-only file (sysfs attribute) and its contents.
    File(String),
    /// A symbolic link and its target, as `readlink` reports it.
    Link(String),
    /// A DRM character device.
    Chr(Minor),
    /// debugfs `sync/sw_sync`: each open is a new software sync timeline (`kernel::sw_sync`).
    SwSync,
    /// A live sysfs attribute of the driver (`crate::sysfs_attr`), with its mode.
    Attr(u32),
}

/// Where debugfs shows the software sync timeline (`CONFIG_SW_SYNC`), which test suites use as a fence producer.
pub const SW_SYNC_PATH: &str = "/sys/kernel/debug/sync/sw_sync";

fn tree() -> &'static BTreeMap<String, Node> {
    static TREE: OnceLock<BTreeMap<String, Node>> = OnceLock::new();
    TREE.get_or_init(build)
}

fn build() -> BTreeMap<String, Node> {
    let mut t = BTreeMap::new();
    let mut add = |p: &str, n: Node| {
        t.insert(p.to_string(), n);
    };
    let compat = rk3588_platform::GPU_COMPATIBLE;
    add("/dev/dri", Node::Dir);
    add("/dev/dri/by-path", Node::Dir);
    add("/sys/class/drm", Node::Dir);
    add(
        "/sys/class/drm/version",
        Node::File("drm 1.1.0 20060810\n".into()),
    );
    add(GPU_SYSFS, Node::Dir);
    add(&format!("{GPU_SYSFS}/drm"), Node::Dir);
    for (path, mode) in crate::sysfs_attr::ATTRS {
        // Each directory on the way (`power`, `devfreq/<dev>`) exists too.
        let mut dir = GPU_SYSFS.to_string();
        for part in path.split('/').take(path.split('/').count() - 1) {
            dir = format!("{dir}/{part}");
            add(&dir, Node::Dir);
        }
        add(&format!("{GPU_SYSFS}/{path}"), Node::Attr(*mode));
    }
    // Upstream's platform uevent (`of_device_uevent`): what libdrm's drmParsePlatformDeviceInfo parses.
    let mut uevent = format!(
        "DRIVER=panthor\nOF_NAME=gpu\nOF_FULLNAME=/gpu@fb000000\nOF_COMPATIBLE_N={}\n",
        compat.len()
    );
    let mut modalias = String::from("of:NgpuT(null)");
    for (i, c) in compat.iter().enumerate() {
        uevent.push_str(&format!("OF_COMPATIBLE_{i}={c}\n"));
        modalias.push('C');
        modalias.push_str(c);
    }
    uevent.push_str(&format!("MODALIAS={modalias}\n"));
    add(&format!("{GPU_SYSFS}/uevent"), Node::File(uevent));
    add(
        &format!("{GPU_SYSFS}/modalias"),
        Node::File(format!("{modalias}\n")),
    );
    add(
        &format!("{GPU_SYSFS}/driver"),
        Node::Link("../../../bus/platform/drivers/panthor".into()),
    );
    add(
        &format!("{GPU_SYSFS}/subsystem"),
        Node::Link("../../../bus/platform".into()),
    );
    // The devfreq class lists the GPU's devfreq device (`devfreq/fb000000.gpu` under the platform device).
    add("/sys/class/devfreq", Node::Dir);
    add(
        "/sys/class/devfreq/fb000000.gpu",
        Node::Link("../../devices/platform/fb000000.gpu/devfreq/fb000000.gpu".into()),
    );
    add("/sys/bus/platform/drivers/panthor", Node::Dir);
    add("/sys/kernel/debug/sync", Node::Dir);
    add(SW_SYNC_PATH, Node::SwSync);
    add(
        "/sys/bus/platform/drivers/panthor/fb000000.gpu",
        Node::Link("../../../../devices/platform/fb000000.gpu".into()),
    );
    for m in Minor::ALL {
        let (name, n) = (m.name(), m.number());
        add(m.dev_path(), Node::Chr(m));
        let kind = if m == Minor::Card0 { "card" } else { "render" };
        add(
            &format!("/dev/dri/by-path/platform-fb000000.gpu-{kind}"),
            Node::Link(format!("../{name}")),
        );
        let dir = format!("{GPU_SYSFS}/drm/{name}");
        add(
            &format!("/sys/dev/char/{DRM_MAJOR}:{n}"),
            Node::Link(format!("../../devices/platform/fb000000.gpu/drm/{name}")),
        );
        add(
            &format!("/sys/class/drm/{name}"),
            Node::Link(format!("../../devices/platform/fb000000.gpu/drm/{name}")),
        );
        add(
            &format!("{dir}/dev"),
            Node::File(format!("{DRM_MAJOR}:{n}\n")),
        );
        add(
            &format!("{dir}/uevent"),
            Node::File(format!(
                "MAJOR={DRM_MAJOR}\nMINOR={n}\nDEVNAME=dri/{name}\nDEVTYPE=drm_minor\n"
            )),
        );
        add(
            &format!("{dir}/device"),
            Node::Link("../../../fb000000.gpu".into()),
        );
        add(
            &format!("{dir}/subsystem"),
            Node::Link("../../../../../class/drm".into()),
        );
        add(&dir, Node::Dir);
    }
    t
}

/// Where a path leads.
#[derive(Debug)]
pub enum Resolved {
    /// Not through the fake tree: hand the caller's path to libc unchanged.
    Untouched,
    /// A fake node, with its canonical path.
    Fake(String, &'static Node),
    /// Through a fake link into the real file system: use this path instead.
    Real(String),
    /// Inside a fake directory but not there (`ENOENT`), or too many links (`ELOOP`).
    Error(i32),
}

fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        return "/".into();
    }
    parts.iter().fold(String::new(), |mut s, p| {
        s.push('/');
        s.push_str(p);
        s
    })
}

/// Cheap test whether `path` could reach the fake tree at all, so that ordinary paths cost one comparison.
fn may_be_fake(path: &str) -> bool {
    path.starts_with("/dev") || path.starts_with("/sys") || path.contains("/../")
}

/// Resolves absolute `path`; `follow_last` says whether a link as the last component is followed (`stat`) or is
/// the answer (`lstat`, `readlink`). Relative paths are never fake.
pub fn resolve(path: &str, follow_last: bool) -> Resolved {
    if !path.starts_with('/') || !may_be_fake(path) {
        return Resolved::Untouched;
    }
    let t = tree();
    let mut rest: VecDeque<String> = path.split('/').map(str::to_string).collect();
    let mut cur: Vec<String> = Vec::new();
    let mut through_link = false;
    let mut hops = 0;
    while let Some(c) = rest.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        cur.push(c);
        let p = join(&cur);
        match t.get(&p) {
            Some(Node::Link(target))
                if follow_last || rest.iter().any(|r| !r.is_empty() && r != ".") =>
            {
                hops += 1;
                if hops > 40 {
                    return Resolved::Error(libc::ELOOP);
                }
                through_link = true;
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                for part in target.split('/').rev() {
                    rest.push_front(part.to_string());
                }
            }
            Some(Node::File(_) | Node::Chr(_) | Node::SwSync | Node::Attr(_))
                if rest.iter().any(|r| !r.is_empty()) =>
            {
                return Resolved::Error(libc::ENOTDIR)
            }
            Some(_) => {}
            None => {
                let parent = join(&cur[..cur.len() - 1]);
                if matches!(t.get(&parent), Some(Node::Dir)) {
                    return Resolved::Error(libc::ENOENT);
                }
            }
        }
    }
    let p = join(&cur);
    match t.get_key_value(&p) {
        Some((k, n)) => Resolved::Fake(k.clone(), n),
        None if through_link => Resolved::Real(p),
        None => Resolved::Untouched,
    }
}

/// The entries of fake directory `dir` (canonical path): name, `d_type`, inode number.
pub fn list(dir: &str) -> Vec<(String, u8, u64)> {
    let prefix = format!("{dir}/");
    tree()
        .iter()
        .filter_map(|(p, n)| {
            let name = p.strip_prefix(&prefix)?;
            if name.contains('/') {
                return None;
            }
            let ty = match n {
                Node::Dir => libc::DT_DIR,
                Node::File(_) => libc::DT_REG,
                Node::Link(_) => libc::DT_LNK,
                Node::Chr(_) => libc::DT_CHR,
                Node::SwSync | Node::Attr(_) => libc::DT_REG,
            };
            Some((name.to_string(), ty, inode(p)))
        })
        .collect()
}

/// A stable inode number for a fake path (FNV-1a), kept away from small numbers.
pub fn inode(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }) | (1 << 40)
}

/// Permission bits set with `chmod` on fake nodes, by canonical path (the process's view: a real node's mode is
/// global, but only this process sees these nodes).
static MODES: parking_lot::Mutex<Vec<(String, u32)>> = parking_lot::Mutex::new(Vec::new());

/// The permission bits `chmod` gave the fake node at canonical `path`, if any.
fn chmodded(path: &str) -> Option<u32> {
    MODES
        .lock()
        .iter()
        .find(|(p, _)| p == path)
        .map(|&(_, m)| m)
}

/// Sets the permission bits (`mode & 07777`) of the fake node at canonical `path`, as `chmod` does.
pub fn set_mode(path: &str, mode: u32) {
    let perm = mode & 0o7777;
    let mut modes = MODES.lock();
    match modes.iter_mut().find(|(p, _)| p == path) {
        Some(e) => e.1 = perm,
        None => modes.push((path.to_string(), perm)),
    }
}

/// What `stat` reports for a fake node.
#[derive(Clone, Copy, Debug)]
pub struct FakeStat {
    /// `st_mode`.
    pub mode: u32,
    /// `st_ino`.
    pub ino: u64,
    /// `st_rdev`.
    pub rdev: (u32, u32),
    /// `st_dev`: devtmpfs for `/dev`, sysfs for `/sys` (anonymous majors, like the kernel's).
    pub dev: (u32, u32),
    /// `st_size`.
    pub size: i64,
}

impl FakeStat {
    /// The stat of fake node `n` at canonical path `path`.
    pub fn of(path: &str, n: &Node) -> Self {
        let dev = if path.starts_with("/dev") {
            (0, 5)
        } else if path.starts_with("/sys/kernel/debug") {
            (0, 7)
        } else {
            (0, 22)
        };
        let (mode, rdev, size) = match n {
            Node::Dir => (libc::S_IFDIR | 0o755, (0, 0), 0),
            // sysfs attributes report a page, whatever they hold.
            Node::File(_) => (libc::S_IFREG | 0o444, (0, 0), 4096),
            Node::Link(t) => (libc::S_IFLNK | 0o777, (0, 0), t.len() as i64),
            Node::Chr(m) => (libc::S_IFCHR | 0o666, (DRM_MAJOR, m.number()), 0),
            // debugfs_create_file("sw_sync", 0644, ...).
            Node::SwSync => (libc::S_IFREG | 0o644, (0, 0), 0),
            Node::Attr(m) => (libc::S_IFREG | m, (0, 0), 4096),
        };
        let mode = match chmodded(path) {
            Some(perm) => (mode & libc::S_IFMT) | perm,
            None => mode,
        };
        FakeStat {
            mode,
            ino: inode(path),
            rdev,
            dev,
            size,
        }
    }

    /// The stat of DRM node `m` (what `fstat` on an open node reports too).
    pub fn of_minor(m: Minor) -> Self {
        Self::of(m.dev_path(), &Node::Chr(m))
    }

    /// Fills a `struct stat` (also `struct stat64`: the same layout on 64-bit Linux).
    pub fn fill(&self, st: &mut libc::stat) {
        // SAFETY: `libc::stat` is plain old data; all-zero is a valid value.
        *st = unsafe { core::mem::zeroed() };
        st.st_dev = libc::makedev(self.dev.0, self.dev.1);
        st.st_ino = self.ino;
        st.st_mode = self.mode;
        st.st_nlink = if self.mode & libc::S_IFMT == libc::S_IFDIR {
            2
        } else {
            1
        };
        st.st_rdev = libc::makedev(self.rdev.0, self.rdev.1);
        st.st_size = self.size;
        st.st_blksize = 4096;
    }

    /// Fills a `struct statx` with the basic stats.
    pub fn fill_statx(&self, st: &mut libc::statx) {
        // SAFETY: `libc::statx` is plain old data; all-zero is a valid value.
        *st = unsafe { core::mem::zeroed() };
        st.stx_mask = libc::STATX_BASIC_STATS;
        st.stx_blksize = 4096;
        st.stx_nlink = if self.mode & libc::S_IFMT == libc::S_IFDIR {
            2
        } else {
            1
        };
        st.stx_mode = self.mode as u16;
        st.stx_ino = self.ino;
        st.stx_size = self.size as u64;
        st.stx_rdev_major = self.rdev.0;
        st.stx_rdev_minor = self.rdev.1;
        st.stx_dev_major = self.dev.0;
        st.stx_dev_minor = self.dev.1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chmod_changes_the_permission_bits_and_keeps_the_type() {
        let path = "/sys/devices/platform/fb000000.gpu/chmod-test";
        let before = FakeStat::of(path, &Node::Chr(Minor::Card0));
        assert_eq!(before.mode, libc::S_IFCHR | 0o666);
        set_mode(path, libc::S_IFREG | 0o4640);
        assert_eq!(
            FakeStat::of(path, &Node::Chr(Minor::Card0)).mode,
            libc::S_IFCHR | 0o4640
        );
        set_mode(path, 0o600);
        assert_eq!(
            FakeStat::of(path, &Node::Chr(Minor::Card0)).mode,
            libc::S_IFCHR | 0o600
        );
        assert_eq!(
            FakeStat::of("/dev/dri/renderD128", &Node::Chr(Minor::Render128)).mode,
            libc::S_IFCHR | 0o666
        );
    }

    fn fake(p: &str, follow: bool) -> String {
        match resolve(p, follow) {
            Resolved::Fake(c, _) => c,
            r => panic!("{p}: {r:?}"),
        }
    }

    #[test]
    fn sysfs_char_link_leads_to_the_platform_device_uevent() {
        assert_eq!(
            fake("/sys/dev/char/226:128/device/uevent", true),
            format!("{GPU_SYSFS}/uevent")
        );
        assert_eq!(
            fake("/sys/dev/char/226:0/device/drm", true),
            format!("{GPU_SYSFS}/drm")
        );
        assert!(matches!(
            resolve("/sys/dev/char/226:0", false),
            Resolved::Fake(_, Node::Link(_))
        ));
    }

    #[test]
    fn subsystem_leaves_the_fake_tree_for_the_real_bus() {
        assert!(
            matches!(resolve("/sys/dev/char/226:0/device/subsystem", true),
            Resolved::Real(p) if p == "/sys/bus/platform")
        );
        assert!(
            matches!(resolve("/sys/class/drm/card0/device/driver", true),
            Resolved::Fake(p, Node::Dir) if p.ends_with("/panthor"))
        );
    }

    #[test]
    fn fake_directories_are_authoritative_and_others_are_not() {
        assert!(matches!(
            resolve("/dev/dri/card1", true),
            Resolved::Error(libc::ENOENT)
        ));
        assert!(matches!(resolve("/dev/null", true), Resolved::Untouched));
        assert!(matches!(
            resolve("/sys/dev/char/1:3", true),
            Resolved::Untouched
        ));
        assert!(matches!(resolve("renderD128", true), Resolved::Untouched));
        let names: Vec<String> = list("/dev/dri").into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["by-path", "card0", "renderD128"]);
        // The live attributes' directory lists them, each a regular file.
        let power: Vec<(String, u8)> = list(&format!("{GPU_SYSFS}/power"))
            .into_iter()
            .map(|e| (e.0, e.1))
            .collect();
        let power_attrs = crate::sysfs_attr::ATTRS
            .iter()
            .filter(|(p, _)| p.starts_with("power/"))
            .count();
        assert_eq!(power.len(), power_attrs);
        assert!(power.iter().all(|(_, t)| *t == libc::DT_REG));
        assert!(power.iter().any(|(n, _)| n == "control"));
    }
}
