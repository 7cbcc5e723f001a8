/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Port of IGT panthor_gem: BO creation, mmap offsets, size rounding and zeroed memory. */
#include "lib/igt_lite.h"

#include <sys/mman.h>
#include <unistd.h>

static void bo_create(struct igt_ctx *ctx)
{
	uint32_t h = 0;

	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, 4096, 0, &h, NULL), 0);
	igt_assert(ctx, h != 0);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, h), 0);
}

static void bo_mmap_offset(struct igt_ctx *ctx)
{
	uint32_t h = 0;
	uint64_t off = 0;

	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, 4096, 0, &h, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_mmap_offset(ctx->fd, h, &off), 0);
	igt_assert(ctx, off != 0);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, h), 0);
}

static void bo_mmap_offset_invalid_handle(struct igt_ctx *ctx)
{
	struct drm_panthor_bo_mmap_offset m = { .handle = 0xdeadbeef };
	uint32_t h = 0;

	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, 4096, 0, &h, NULL), 0);
	do_ioctl_err(ctx, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &m, ENOENT);
	igt_assert_eq(ctx, m.offset, 0);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, h), 0);
}

static void bo_create_round_size(struct igt_ctx *ctx)
{
	uint32_t h = 0;
	uint64_t size = 0;

	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, 5000, 0, &h, &size), 0);
	igt_assert_eq(ctx, size, 2 * (uint64_t)getpagesize());
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, h), 0);
}

static void bo_zeroed(struct igt_ctx *ctx)
{
	uint64_t size = getpagesize(), off = 0;
	uint32_t h = 0, first;
	void *p;

	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, size, 0, &h, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_mmap_offset(ctx->fd, h, &off), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fd, off);
	igt_assert_f(ctx, p != MAP_FAILED, "mmap: errno %d", errno);
	first = *(volatile uint32_t *)p;
	munmap(p, size);
	igt_assert_eq(ctx, first, 0);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, h), 0);
}

int main(int argc, char **argv)
{
	static const struct igt_subtest tests[] = {
		{ "bo_create", bo_create },
		{ "bo_mmap_offset", bo_mmap_offset },
		{ "bo_mmap_offset_invalid_handle", bo_mmap_offset_invalid_handle },
		{ "bo_create_round_size", bo_create_round_size },
		{ "bo_zeroed", bo_zeroed },
	};

	return igt_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
