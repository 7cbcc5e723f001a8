/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * A small test harness for our ports of the IGT panthor subtests: it opens the device the way IGT's
 * drm_open_driver(DRIVER_PANTHOR) does (stat + open /dev/dri/cardN, accept the node whose DRM_IOCTL_VERSION name is
 * "panthor"), runs each subtest and prints IGT's result lines:
 *
 *     Subtest NAME: SUCCESS (0.001s)
 *
 * A failed check ends its subtest with FAIL and a message on stderr; the program's exit status is 0 when nothing
 * failed, 1 otherwise, 77 when no device was found (all SKIP), as IGT does.
 */
#ifndef IGT_LITE_H
#define IGT_LITE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xf86drm.h>
#include <drm/panthor_drm.h>

/* What the uAPI gained after the 6.12 header this is built against (panthor 1.9). */
#ifndef DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE
#define DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE (1 << 3)
#endif

enum igt_result { IGT_SUCCESS, IGT_FAIL, IGT_SKIP };

struct igt_ctx {
	int fd;                   /* the device, opened by the fixture */
	enum igt_result result;   /* of the running subtest */
};

/* A subtest body: checks call igt_fail()/igt_skip() through the macros below and return. */
typedef void (*igt_subtest_fn)(struct igt_ctx *ctx);

struct igt_subtest {
	const char *name;
	igt_subtest_fn fn;
};

/* Runs `n` subtests (all of them, or the one named by --run-subtest NAME), prints one line each; returns the exit
 * status. `--list-subtests` prints the names without touching a device. */
int igt_main(int argc, char **argv, const struct igt_subtest *tests, size_t n);

void igt_report(struct igt_ctx *ctx, enum igt_result r, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define igt_assert_f(ctx, cond, ...)                                                                     \
	do {                                                                                             \
		if (!(cond)) {                                                                           \
			igt_report(ctx, IGT_FAIL, __FILE__, __LINE__, __VA_ARGS__);                      \
			return;                                                                          \
		}                                                                                        \
	} while (0)
#define igt_assert(ctx, cond) igt_assert_f(ctx, cond, "failed: %s", #cond)
#define igt_assert_eq(ctx, a, b)                                                                         \
	igt_assert_f(ctx, (a) == (b), "%s == %s: %lld != %lld", #a, #b, (long long)(a), (long long)(b))
#define igt_skip_f(ctx, ...)                                                                             \
	do {                                                                                             \
		igt_report(ctx, IGT_SKIP, __FILE__, __LINE__, __VA_ARGS__);                              \
		return;                                                                                  \
	} while (0)

/* do_ioctl / do_ioctl_err: the ioctl through libdrm's drmIoctl must return 0, or -1 with errno `err`. */
#define do_ioctl(ctx, req, arg) igt_assert_f(ctx, drmIoctl((ctx)->fd, req, arg) == 0, #req ": errno %d", errno)
#define do_ioctl_err(ctx, req, arg, err)                                                                 \
	do {                                                                                             \
		int r_ = drmIoctl((ctx)->fd, req, arg);                                                  \
		igt_assert_f(ctx, r_ == -1 && errno == (err), #req ": got %d errno %d, want errno %d",    \
			     r_, r_ ? errno : 0, err);                                                   \
	} while (0)

/* Panthor helpers, as IGT's lib/igt_panthor.c behaves; each returns 0 or the errno of the failing call. */
int panthor_vm_create(int fd, uint32_t *id, uint64_t *user_va_range);
int panthor_vm_destroy(int fd, uint32_t id);
int panthor_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle, uint64_t *out_size);
int panthor_bo_mmap_offset(int fd, uint32_t handle, uint64_t *offset);
int panthor_vm_bind(int fd, uint32_t vm, uint32_t flags, uint32_t bo, uint64_t va, uint64_t size, uint64_t bo_offset);
int panthor_gem_close(int fd, uint32_t handle);

#endif
