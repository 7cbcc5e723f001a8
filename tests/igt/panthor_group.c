/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Port of IGT panthor_group: create a group on a VM, and submit a 7-instruction command stream that stores
 * 0xDEADBEEF into a second BO, then wait for its syncobj. Until the driver has a scheduler GROUP_CREATE answers
 * EOPNOTSUPP, and these subtests SKIP.
 */
#include "lib/igt_lite.h"

#include <sys/mman.h>

#define STREAM_VA 0x1000000ull
#define TARGET_VA 0x1001000ull

static int group_create_simple(struct igt_ctx *ctx, uint32_t vm, uint32_t *group)
{
	struct drm_panthor_gpu_info gpu = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(gpu), .pointer = (uint64_t)(uintptr_t)&gpu,
	};
	struct drm_panthor_queue_create queue = { .priority = 0, .ringbuf_size = 4096 };
	struct drm_panthor_group_create g = {
		.queues = { .stride = sizeof(queue), .count = 1, .array = (uint64_t)(uintptr_t)&queue },
		.max_compute_cores = 1,
		.max_fragment_cores = 1,
		.max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_MEDIUM,
		.vm_id = vm,
	};

	if (drmIoctl(ctx->fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q))
		return errno;
	g.compute_core_mask = gpu.shader_present & -gpu.shader_present;
	g.fragment_core_mask = g.compute_core_mask;
	g.tiler_core_mask = gpu.tiler_present & -gpu.tiler_present;
	if (drmIoctl(ctx->fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &g))
		return errno;
	*group = g.group_handle;
	return 0;
}

#define GROUP_CREATE_OR_SKIP(ctx, vm, group)                                                             \
	do {                                                                                             \
		int e_ = group_create_simple(ctx, vm, group);                                            \
		if (e_ == EOPNOTSUPP)                                                                    \
			igt_skip_f(ctx, "GROUP_CREATE: the driver has no scheduler yet");                \
		igt_assert_eq(ctx, e_, 0);                                                               \
	} while (0)

static void group_create(struct igt_ctx *ctx)
{
	struct drm_panthor_group_destroy d = { 0 };
	uint32_t vm = 0, group = 0;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert(ctx, vm != 0);
	GROUP_CREATE_OR_SKIP(ctx, vm, &group);
	igt_assert(ctx, group != 0);
	d.group_handle = group;
	do_ioctl(ctx, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void *bo_mapped(struct igt_ctx *ctx, uint32_t *handle)
{
	uint64_t off = 0;
	void *p;

	if (panthor_bo_create(ctx->fd, 4096, 0, handle, NULL) || panthor_bo_mmap_offset(ctx->fd, *handle, &off))
		return MAP_FAILED;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fd, off);
	return p;
}

static void group_submit(struct igt_ctx *ctx)
{
	static const uint64_t stream[] = {
		0x0144000001001000ull, /* MOVE48 r68:r69 <- TARGET_VA */
		0x02460000DEADBEEFull, /* MOVE32 r70 <- 0xDEADBEEF */
		0x1546440000010000ull, /* STORE_MULTIPLE r70 -> [r68] */
		0x0300000000FF0000ull, /* WAIT all scoreboards */
		0x0246000000000000ull, /* MOVE32 r70 <- 0 */
		0x2401460000000233ull, /* FLUSH_CACHE, flush id in r70 */
		0x0300000000FF0000ull, /* WAIT all scoreboards */
	};
	struct drm_panthor_group_destroy gd = { 0 };
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_destroy sd = { 0 };
	uint32_t vm = 0, a = 0, b = 0, group = 0;
	uint32_t *target;
	uint64_t *cs;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	cs = bo_mapped(ctx, &a);
	igt_assert(ctx, cs != MAP_FAILED);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, a, STREAM_VA, 4096, 0), 0);
	target = bo_mapped(ctx, &b);
	igt_assert(ctx, target != MAP_FAILED);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, b, TARGET_VA, 4096, 0), 0);
	memcpy(cs, stream, sizeof(stream));
	GROUP_CREATE_OR_SKIP(ctx, vm, &group);

	do_ioctl(ctx, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	igt_assert(ctx, sc.handle != 0);
	{
		struct drm_panthor_sync_op sync = {
			.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
			.handle = sc.handle,
		};
		struct drm_panthor_queue_submit qs = {
			.queue_index = 0,
			.stream_size = sizeof(stream),
			.stream_addr = STREAM_VA,
			.syncs = { .stride = sizeof(sync), .count = 1, .array = (uint64_t)(uintptr_t)&sync },
		};
		struct drm_panthor_group_submit gs = {
			.group_handle = group,
			.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uint64_t)(uintptr_t)&qs },
		};
		uint32_t handles[1] = { sc.handle };
		struct drm_syncobj_wait w = {
			.handles = (uint64_t)(uintptr_t)handles, .timeout_nsec = INT64_MAX, .count_handles = 1,
		};

		do_ioctl(ctx, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
		do_ioctl(ctx, DRM_IOCTL_SYNCOBJ_WAIT, &w);
	}
	igt_assert_eq(ctx, *(volatile uint32_t *)target, 0xDEADBEEF);
	sd.handle = sc.handle;
	do_ioctl(ctx, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	gd.group_handle = group;
	do_ioctl(ctx, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
	munmap(cs, 4096);
	munmap(target, 4096);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, a), 0);
	igt_assert_eq(ctx, panthor_gem_close(ctx->fd, b), 0);
}

int main(int argc, char **argv)
{
	static const struct igt_subtest tests[] = {
		{ "group_create", group_create },
		{ "group_submit", group_submit },
	};

	return igt_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
