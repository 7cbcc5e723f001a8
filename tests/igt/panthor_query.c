/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Port of IGT panthor_query: DEV_QUERY GPU_INFO must succeed and report a GPU id. */
#include "lib/igt_lite.h"

static void query(struct igt_ctx *ctx)
{
	struct drm_panthor_gpu_info gpu = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO,
		.size = sizeof(gpu),
		.pointer = (uint64_t)(uintptr_t)&gpu,
	};

	do_ioctl(ctx, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
	igt_assert(ctx, gpu.gpu_id != 0);
}

int main(int argc, char **argv)
{
	static const struct igt_subtest tests[] = { { "query", query } };

	return igt_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
