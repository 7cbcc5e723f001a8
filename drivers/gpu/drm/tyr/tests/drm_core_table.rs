// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The whole DRM core ioctl table against upstream's `drm_ioctls[]` on render, master and unauthenticated primary
//! files, the dispatch order, and the master and authentication model (magic, DROP/SET_MASTER, GET_UNIQUE,
//! SET_CLIENT_NAME).

use std::sync::Arc;

use kernel::code::{EACCES, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, EOPNOTSUPP};
use kernel::uaccess::UserPtr;
use tyr::drm_device::{TyrDrmFile, PRIMARY_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::drm::{bo_create, close, query, setup, Setup};
use common::{ioctl, K};

/// What a core number must answer, on a render file, on the primary master and on a primary file that is neither
/// master nor authenticated, when called with an all-zero argument (`DRM_IOWR(nr, 0)`: nothing copied in or out).
#[derive(Clone, Copy, Debug)]
enum Exp {
    /// Exactly this result.
    Is(kernel::Result),
    /// Past `drm_ioctl_permit` into a handler this test does not pin down (syncobj waits, PRIME import of fd 0, and
    /// SYNCOBJ_FD_TO_HANDLE of fd 0, whatever the test's stdin is): anything but `EACCES`.
    Ran,
}

use Exp::{Is, Ran};

const OK: Exp = Is(Ok(()));

const INVAL: Exp = Is(Err(EINVAL));

const ACCES: Exp = Is(Err(EACCES));

const NOTSUPP: Exp = Is(Err(EOPNOTSUPP));

const NOSYS: Exp = Is(Err(kernel::code::ENOSYS));

const NOENT: Exp = Is(Err(ENOENT));

/// Upstream's `drm_ioctls[]` as it stands (Linux 6.18 stable, GEM_CHANGE_HANDLE turned into `drm_invalid_op`), for
/// Panthor (render, GEM, syncobj, timeline; no modesetting, no `dumb_create`), with each entry's flags. Numbers not
/// listed have no entry: `EINVAL` on every file, before any copy or permission check.
#[rustfmt::skip]
const CORE_TABLE: &[(u32, &str, &str, Exp, Exp, Exp)] = &[
    //  nr    name                    upstream flags            render   master   other primary
    (0x00, "VERSION",               "RENDER_ALLOW",            OK,      OK,      OK),
    (0x01, "GET_UNIQUE",            "0",                       ACCES,   OK,      OK),
    (0x02, "GET_MAGIC",             "0",                       ACCES,   OK,      OK),
    (0x05, "GET_CLIENT",            "0",                       ACCES,   OK,      OK),
    (0x06, "GET_STATS",             "0",                       ACCES,   OK,      OK),
    (0x07, "SET_VERSION",           "MASTER",                  ACCES,   INVAL,   ACCES),
    (0x09, "GEM_CLOSE",             "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0x0a, "GEM_FLINK",             "AUTH",                    ACCES,   NOENT,   ACCES),
    (0x0b, "GEM_OPEN",              "AUTH",                    ACCES,   NOENT,   ACCES),
    (0x0c, "GET_CAP",               "RENDER_ALLOW",            NOTSUPP, NOTSUPP, NOTSUPP),
    (0x0d, "SET_CLIENT_CAP",        "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x10, "SET_UNIQUE",            "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x11, "AUTH_MAGIC",            "MASTER",                  ACCES,   INVAL,   ACCES),
    (0x12, "BLOCK",                 "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x13, "UNBLOCK",               "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x1e, "SET_MASTER",            "0",                       ACCES,   OK,      ACCES),
    (0x1f, "DROP_MASTER",           "0",                       ACCES,   OK,      ACCES),
    (0x27, "ADD_DRAW",              "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x28, "RM_DRAW",               "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x2c, "FINISH",                "AUTH",                    ACCES,   OK,      ACCES),
    (0x2d, "PRIME_HANDLE_TO_FD",    "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0x2e, "PRIME_FD_TO_HANDLE",    "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0x3a, "WAIT_VBLANK",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3b, "CRTC_GET_SEQUENCE",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3c, "CRTC_QUEUE_SEQUENCE",   "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3f, "UPDATE_DRAW",           "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0xa0, "MODE_GETRESOURCES",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa1, "MODE_GETCRTC",          "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa2, "MODE_SETCRTC",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa3, "MODE_CURSOR",           "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa4, "MODE_GETGAMMA",         "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa5, "MODE_SETGAMMA",         "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa6, "MODE_GETENCODER",       "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa7, "MODE_GETCONNECTOR",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa8, "MODE_ATTACHMODE",       "MASTER (drm_noop)",       ACCES,   OK,      ACCES),
    (0xa9, "MODE_DETACHMODE",       "MASTER (drm_noop)",       ACCES,   OK,      ACCES),
    (0xaa, "MODE_GETPROPERTY",      "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xab, "MODE_SETPROPERTY",      "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xac, "MODE_GETPROPBLOB",      "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xad, "MODE_GETFB",            "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xae, "MODE_ADDFB",            "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xaf, "MODE_RMFB",             "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb0, "MODE_PAGE_FLIP",        "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb1, "MODE_DIRTYFB",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb2, "MODE_CREATE_DUMB",      "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb3, "MODE_MAP_DUMB",         "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb4, "MODE_DESTROY_DUMB",     "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb5, "MODE_GETPLANERESOURCES", "0",                      ACCES,   NOTSUPP, NOTSUPP),
    (0xb6, "MODE_GETPLANE",         "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb7, "MODE_SETPLANE",         "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb8, "MODE_ADDFB2",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb9, "MODE_OBJ_GETPROPERTIES", "0",                      ACCES,   NOTSUPP, NOTSUPP),
    (0xba, "MODE_OBJ_SETPROPERTY",  "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbb, "MODE_CURSOR2",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbc, "MODE_ATOMIC",           "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbd, "MODE_CREATEPROPBLOB",   "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xbe, "MODE_DESTROYPROPBLOB",  "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xbf, "SYNCOBJ_CREATE",        "RENDER_ALLOW",            OK,      OK,      OK),
    (0xc0, "SYNCOBJ_DESTROY",       "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc1, "SYNCOBJ_HANDLE_TO_FD",  "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc2, "SYNCOBJ_FD_TO_HANDLE",  "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xc3, "SYNCOBJ_WAIT",          "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xc4, "SYNCOBJ_RESET",         "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc5, "SYNCOBJ_SIGNAL",        "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc6, "MODE_CREATE_LEASE",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc7, "MODE_LIST_LESSEES",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc8, "MODE_GET_LEASE",        "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc9, "MODE_REVOKE_LEASE",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xca, "SYNCOBJ_TIMELINE_WAIT", "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xcb, "SYNCOBJ_QUERY",         "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xcc, "SYNCOBJ_TRANSFER",      "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0xcd, "SYNCOBJ_TIMELINE_SIGNAL", "RENDER_ALLOW",          INVAL,   INVAL,   INVAL),
    (0xce, "MODE_GETFB2",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xcf, "SYNCOBJ_EVENTFD",       "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0xd0, "MODE_CLOSEFB",          "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xd1, "SET_CLIENT_NAME",       "RENDER_ALLOW",            OK,      OK,      OK),
    (0xd2, "GEM_CHANGE_HANDLE",     "RENDER_ALLOW (drm_invalid_op)", INVAL, INVAL, INVAL),
];

fn check_exp(what: &str, exp: Exp, got: kernel::Result) {
    match exp {
        Is(e) => assert_eq!(got, e, "{what}"),
        Ran => assert_ne!(got, Err(EACCES), "{what}: the handler must run"),
    }
}

/// A device with its first primary file (the master), a second primary file and a render file, all unprivileged.
fn three_files(s: &Setup) -> [Arc<TyrDrmFile>; 3] {
    let master = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    let other = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    [s.open(), master, other]
}

#[test]
fn every_core_number_answers_as_upstream_on_render_master_and_unauthenticated_files() {
    let s = setup();
    let files = three_files(&s);
    assert!(
        files[1].caller().master && !files[2].caller().master && !files[2].caller().authenticated
    );
    let core_numbers = (0x00..0x40u32).chain(0xa0..0x100);
    for nr in core_numbers {
        let row = CORE_TABLE.iter().find(|r| r.0 == nr);
        for (i, f) in files.iter().enumerate() {
            let mut buf = [0u64; 32];
            let got = f.ioctl(iowr(nr, 0), UserPtr(buf.as_mut_ptr() as usize));
            let which = ["render", "master", "other primary"][i];
            match row {
                None => assert_eq!(got, Err(EINVAL), "{nr:#04x} has no entry ({which})"),
                Some(&(_, name, flags, r, m, o)) => {
                    check_exp(
                        &format!("{nr:#04x} {name} [{flags}] on the {which} file"),
                        [r, m, o][i],
                        got,
                    );
                }
            }
            if nr == 0x1f && i == 1 {
                // DROP_MASTER worked: take it back for the rest of the sweep (the file was master before).
                assert_eq!(
                    f.ioctl(iowr(0x1e, 0), UserPtr(buf.as_mut_ptr() as usize)),
                    Ok(())
                );
            }
        }
    }
    // The driver range is the driver's table, not the core's.
    let mut buf = [0u64; 4];
    assert_eq!(
        files[2].ioctl(iowr(0x40 + 17, 16), UserPtr(buf.as_mut_ptr() as usize)),
        Err(EINVAL)
    );
}

#[test]
fn the_order_is_empty_slot_copy_in_then_permission() {
    let s = setup();
    let [render, _master, other] = three_files(&s);
    let bad = UserPtr(0x10);
    assert_eq!(
        render.ioctl(iowr(0x03, 16), bad),
        Err(EINVAL),
        "no entry: before the copy"
    );
    assert_eq!(
        render.ioctl(DRM_IOCTL_GET_UNIQUE, bad),
        Err(EFAULT),
        "copy-in before drm_ioctl_permit"
    );
    assert_eq!(other.ioctl(DRM_IOCTL_GEM_FLINK, bad), Err(EFAULT));
    assert_eq!(
        render.ioctl(DRM_IOCTL_SET_MASTER, bad),
        Err(EACCES),
        "DRM_IO copies nothing"
    );
    s.dev.unplug();
    assert_eq!(
        render.ioctl(DRM_IOCTL_VERSION, bad),
        Err(ENODEV),
        "unplugged first of all"
    );
}

#[test]
fn get_cap_clears_the_value_before_the_lookup() {
    let s = setup();
    let f = s.open();
    for cap in [
        0u64,
        DRM_CAP_DUMB_BUFFER.into(),
        0x15,
        1 << 32 | u64::from(DRM_CAP_PRIME),
    ] {
        let mut a = drm_get_cap {
            capability: cap,
            value: 0xdead_beef,
        };
        assert_eq!(
            ioctl(&f, DRM_IOCTL_GET_CAP, &mut a),
            Err(EOPNOTSUPP),
            "cap {cap:#x}"
        );
        assert_eq!(
            a.value, 0,
            "cap {cap:#x}: cleared and copied back with the error"
        );
    }
}

#[test]
fn a_second_primary_client_authenticates_through_the_masters_magic() {
    let s = setup();
    let [render, master, other] = three_files(&s);
    let h = bo_create(&master, K, 0);
    let mut fl = drm_gem_flink { handle: h, name: 0 };
    ioctl(&master, DRM_IOCTL_GEM_FLINK, &mut fl).unwrap();
    assert_eq!(fl.name, 1, "names start at 1");
    let mut op = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op),
        Err(EACCES),
        "DRM_AUTH: not authenticated yet"
    );

    let mut client = drm_client::default();
    ioctl(&other, DRM_IOCTL_GET_CLIENT, &mut client).unwrap();
    assert_eq!(
        (client.auth, client.uid, client.pid),
        (0, 65534, u64::from(std::process::id()))
    );

    let mut magic = drm_auth::default();
    ioctl(&other, DRM_IOCTL_GET_MAGIC, &mut magic).unwrap();
    assert_ne!(magic.magic, 0);
    let mut again = drm_auth::default();
    ioctl(&other, DRM_IOCTL_GET_MAGIC, &mut again).unwrap();
    assert_eq!(again.magic, magic.magic, "a file keeps its magic");
    assert_eq!(
        ioctl(&other, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()),
        Err(EACCES),
        "only the master authenticates"
    );
    assert_eq!(
        ioctl(
            &master,
            DRM_IOCTL_AUTH_MAGIC,
            &mut drm_auth {
                magic: magic.magic + 7
            }
        ),
        Err(EINVAL)
    );
    ioctl(&master, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()).unwrap();
    assert_eq!(
        ioctl(&master, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()),
        Err(EINVAL),
        "a magic works once"
    );

    ioctl(&other, DRM_IOCTL_GET_CLIENT, &mut client).unwrap();
    assert_eq!(client.auth, 1);
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op).unwrap();
    assert_eq!(op.size, K);
    assert_ne!(op.handle, 0);
    let mut op2 = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op2).unwrap();
    assert_ne!(op2.handle, op.handle, "GEM_OPEN always makes a new handle");
    let mut fl2 = drm_gem_flink {
        handle: op.handle,
        name: 0,
    };
    ioctl(&other, DRM_IOCTL_GEM_FLINK, &mut fl2).unwrap();
    assert_eq!(fl2.name, fl.name, "one name per object");
    assert_eq!(
        ioctl(
            &other,
            DRM_IOCTL_GEM_OPEN,
            &mut drm_gem_open {
                name: 9,
                ..Default::default()
            }
        ),
        Err(ENOENT)
    );
    assert_eq!(
        ioctl(&render, DRM_IOCTL_GEM_OPEN, &mut op.clone()),
        Err(EACCES),
        "not RENDER_ALLOW"
    );

    // The name goes with the object's last handle, even while a dma-buf keeps the object alive.
    let mut exp = drm_prime_handle {
        handle: h,
        flags: 0,
        fd: -1,
    };
    ioctl(&master, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut exp).unwrap();
    let mut c = drm_gem_close { handle: h, pad: 0 };
    ioctl(&master, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    let mut op3 = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op3).unwrap();
    for handle in [op.handle, op2.handle, op3.handle] {
        ioctl(
            &other,
            DRM_IOCTL_GEM_CLOSE,
            &mut drm_gem_close { handle, pad: 0 },
        )
        .unwrap();
    }
    let mut gone = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    assert_eq!(ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut gone), Err(ENOENT));
    let mut imp = drm_prime_handle {
        fd: exp.fd,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut imp).unwrap();
    assert_eq!(
        ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut gone),
        Err(ENOENT),
        "a lost name does not come back"
    );
    close(exp.fd);
}

#[test]
fn drop_and_set_master_follow_the_was_master_rule() {
    let s = setup();
    let [_render, master, other] = three_files(&s);
    // SET/DROP_MASTER are DRM_IO: nothing is copied, any pointer does.
    let io = |f: &TyrDrmFile, cmd: u32| f.ioctl(cmd, UserPtr(0));
    assert_eq!(
        io(&other, DRM_IOCTL_DROP_MASTER),
        Err(EACCES),
        "never master, no CAP_SYS_ADMIN"
    );
    assert_eq!(io(&other, DRM_IOCTL_SET_MASTER), Err(EACCES));
    let root = TyrDrmFile::open(
        &s.dev,
        kernel::drm::auth::Opener {
            sys_admin: true,
            ..PRIMARY_CLIENT
        },
    )
    .unwrap();
    assert!(
        !root.caller().master && root.caller().authenticated,
        "root opens authenticated, not master"
    );
    assert_eq!(
        io(&root, DRM_IOCTL_SET_MASTER),
        Err(EBUSY),
        "CAP_SYS_ADMIN, but the device has a master"
    );
    assert_eq!(io(&master, DRM_IOCTL_SET_MASTER), Ok(()), "already master");
    assert_eq!(io(&master, DRM_IOCTL_DROP_MASTER), Ok(()));
    assert!(!master.caller().master);
    assert_eq!(
        io(&master, DRM_IOCTL_DROP_MASTER),
        Err(EINVAL),
        "not master any more"
    );
    assert_eq!(
        io(&other, DRM_IOCTL_SET_MASTER),
        Err(EACCES),
        "no master now, but this file never was one"
    );
    assert_eq!(
        io(&root, DRM_IOCTL_SET_MASTER),
        Ok(()),
        "CAP_SYS_ADMIN may take a free master"
    );
    assert!(root.caller().master && !master.caller().master);
    assert_eq!(io(&master, DRM_IOCTL_SET_MASTER), Err(EBUSY));
    drop(root);
    let next = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    assert!(
        next.caller().master,
        "closing the master leaves it to the next primary opener (drm_master_open)"
    );
    drop(next);
    assert_eq!(
        io(&master, DRM_IOCTL_SET_MASTER),
        Ok(()),
        "a former master may take it back when it is free"
    );
    assert!(master.caller().master);
    // Panthor's REALTIME priority follows the master as it moves.
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0xf);
    io(&master, DRM_IOCTL_DROP_MASTER).unwrap();
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0x3);
}

#[test]
fn get_unique_is_empty_until_set_version_ties_the_platform_name_to_the_master() {
    let s = setup();
    let [_render, master, other] = three_files(&s);
    let mut buf = [0xAAu8; 32];
    let mut u = drm_unique {
        unique_len: buf.len() as _,
        unique: buf.as_mut_ptr().cast(),
    };
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut u).unwrap();
    assert_eq!(
        u.unique_len, 0,
        "libdrm's drmOpenByName relies on an empty unique before SET_VERSION"
    );
    let mut sv = drm_set_version {
        drm_di_major: 1,
        drm_di_minor: 5,
        drm_dd_major: -1,
        drm_dd_minor: -1,
    };
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv),
        Err(EINVAL),
        "interface 1.5 does not exist"
    );
    assert_eq!(
        (
            sv.drm_di_major,
            sv.drm_di_minor,
            sv.drm_dd_major,
            sv.drm_dd_minor
        ),
        (1, 4, 1, 9),
        "reported anyway"
    );
    let mut sv = drm_set_version {
        drm_di_major: -1,
        drm_di_minor: 0,
        drm_dd_major: 1,
        drm_dd_minor: 10,
    };
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv),
        Err(EINVAL),
        "driver 1.10 is newer than 1.9"
    );
    let mut sv = drm_set_version {
        drm_di_major: 1,
        drm_di_minor: 4,
        drm_dd_major: 1,
        drm_dd_minor: 9,
    };
    ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv).unwrap();
    let mut short = drm_unique {
        unique_len: 3,
        unique: buf.as_mut_ptr().cast(),
    };
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut short).unwrap();
    assert_eq!(
        short.unique_len, 12,
        "the length, and nothing copied into a short buffer"
    );
    assert_eq!(buf[0], 0xAA);
    u.unique_len = buf.len() as _;
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut u).unwrap();
    assert_eq!(u.unique_len, 12);
    assert_eq!(
        &buf[..13],
        b"fb000000.gpu\xAA",
        "the platform device's name, without a NUL"
    );
    let mut bad = drm_unique {
        unique_len: 12,
        unique: 0x10 as *mut _,
    };
    assert_eq!(ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut bad), Err(EFAULT));
}

#[test]
fn set_client_name_checks_the_name_and_mode_numbers_answer_without_modesetting() {
    let s = setup();
    let [render, master, _other] = three_files(&s);
    let name = |f: &TyrDrmFile, n: &[u8]| {
        let mut a = drm_set_client_name {
            name_len: n.len() as u64,
            name: n.as_ptr() as u64,
        };
        ioctl(f, DRM_IOCTL_SET_CLIENT_NAME, &mut a)
    };
    name(&render, b"panvk").unwrap();
    assert_eq!(render.client_name().as_deref(), Some("panvk"));
    assert_eq!(name(&render, b"two words"), Err(EINVAL));
    assert_eq!(name(&render, b"nul\0in"), Err(EINVAL));
    assert_eq!(
        name(&render, &[b'x'; 65]),
        Err(EINVAL),
        "more than DRM_CLIENT_NAME_MAX_LEN"
    );
    let mut a = drm_set_client_name {
        name_len: 4,
        name: 0x10,
    };
    assert_eq!(
        ioctl(&render, DRM_IOCTL_SET_CLIENT_NAME, &mut a),
        Err(EFAULT)
    );
    assert_eq!(
        render.client_name().as_deref(),
        Some("panvk"),
        "failures leave the name"
    );
    name(&render, b"").unwrap();
    assert_eq!(render.client_name(), None);

    // CREATE_DUMB: ENOSYS, and the outputs cleared (the kernel's copy of them goes back).
    let mut dumb = [7u32; 8];
    let r = master.ioctl(iowr(0xb2, 32), UserPtr(dumb.as_mut_ptr() as usize));
    assert_eq!(r, Err(kernel::code::ENOSYS));
    assert_eq!(dumb, [7, 7, 7, 7, 0, 0, 0, 0]);
    let mut closefb = [1u32, 1];
    let r = master.ioctl(iowr(0xd0, 8), UserPtr(closefb.as_mut_ptr() as usize));
    assert_eq!(r, Err(EOPNOTSUPP), "DRIVER_MODESET is checked before pad");
    let mut client_cap = [2u64, 1];
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_CLIENT_CAP, &mut client_cap),
        Err(EOPNOTSUPP)
    );
}
