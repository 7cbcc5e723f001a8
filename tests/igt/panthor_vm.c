/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Port of IGT panthor_vm: VM create/destroy, binds and unbinds, the 2 MiB block unbind shapes, and the pending
 * series' kernel-range and sparse subtests. VMs are destroyed with BOs still mapped; BOs are left to the fd close.
 */
#include "lib/igt_lite.h"

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull
#define MAP DRM_PANTHOR_VM_BIND_OP_TYPE_MAP
#define UNMAP DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP
#define SPARSE (DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC)

static void vm_create_destroy(struct igt_ctx *ctx)
{
	uint32_t vm = 0;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert(ctx, vm != 0);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void vm_destroy_invalid(struct igt_ctx *ctx)
{
	struct drm_panthor_vm_destroy d = { .id = 0xdeadbeef };

	do_ioctl_err(ctx, DRM_IOCTL_PANTHOR_VM_DESTROY, &d, EINVAL);
}

static void vm_bind(struct igt_ctx *ctx)
{
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, SZ_4K, 0, &bo, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP, bo, 0x1000, 0x1000, 0), 0);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void vm_unbind(struct igt_ctx *ctx)
{
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, SZ_4K, 0, &bo, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP, bo, 0x1000, 0x1000, 0), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, UNMAP, 0, 0x1000, 0x1000, 0), 0);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void vm_unbind_invalid_address(struct igt_ctx *ctx)
{
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, SZ_4K, 0, &bo, NULL), 0);
	/* An UNMAP naming a BO is refused, mapped or not. */
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, UNMAP, bo, 0x1000, 0x1000, 0), EINVAL);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

/* One MAP of a BO, then a list of UNMAPs, all expected to succeed. */
struct huge_case {
	uint64_t bo_size, va, size, bo_offset;
	uint64_t unmaps[9][2];
};

static void run_huge(struct igt_ctx *ctx, const struct huge_case *c)
{
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, c->bo_size, 0, &bo, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP, bo, c->va, c->size, c->bo_offset), 0);
	for (int i = 0; i < 9 && c->unmaps[i][1]; i++)
		igt_assert_f(ctx, panthor_vm_bind(ctx->fd, vm, UNMAP, 0, c->unmaps[i][0], c->unmaps[i][1], 0) == 0,
			     "unmap %d (%#llx+%#llx)", i, (unsigned long long)c->unmaps[i][0],
			     (unsigned long long)c->unmaps[i][1]);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

#define HUGE(name, ...)                                                                                  \
	static void name(struct igt_ctx *ctx)                                                            \
	{                                                                                                \
		static const struct huge_case c = __VA_ARGS__;                                           \
		run_huge(ctx, &c);                                                                       \
	}

HUGE(identical_single, { 2 * SZ_1M, SZ_2M, SZ_2M, 0, { { SZ_2M, SZ_2M } } })
HUGE(identical_single_partial, { 4 * SZ_1M, SZ_2M, 4 * SZ_1M, 0, { { SZ_2M, 4 * SZ_1M } } })
HUGE(identical_multiple, { 6 * SZ_1M, SZ_2M, 6 * SZ_1M, 0, { { SZ_2M, 6 * SZ_1M } } })
HUGE(identical_offset, { 6 * SZ_1M, SZ_2M, 4 * SZ_1M, SZ_2M, { { SZ_2M, 6 * SZ_1M } } })
HUGE(leftaligned, { 4 * SZ_1M, SZ_2M, 4 * SZ_1M, 0, { { SZ_2M, 2 * SZ_4K } } })
HUGE(rightaligned, { 4 * SZ_1M, SZ_2M, 4 * SZ_1M, 0, { { 6 * SZ_1M - 2 * SZ_4K, 2 * SZ_4K } } })
HUGE(superset, { 2 * SZ_1M, SZ_2M, SZ_2M, 0, { { SZ_1M, 5 * SZ_1M } } })
HUGE(subset, { 4 * SZ_1M, SZ_2M, 4 * SZ_1M, 0, { { 3 * SZ_1M, 2 * SZ_4K }, { 4 * SZ_1M + SZ_4K, 2 * SZ_4K } } })
HUGE(successive, { 6 * SZ_1M, SZ_2M, 6 * SZ_1M, 0,
		   { { 0x3FC000, 0x208000 }, { 0x3FC000, 0x208000 }, { 0x200000, 0x4000 }, { 0x401000, 0x4000 },
		     { 0x4FB000, 0xA000 }, { 0x3FB000, 0xA000 }, { 0x3FC000, 0x4000 }, { 0x200000, 0x1000 } } })

static void vm_bind_intersect_kbo_range(struct igt_ctx *ctx)
{
	uint64_t user_va = 0;
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, &user_va), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, SZ_2M, 0, &bo, NULL), 0);
	user_va = (user_va + SZ_2M - 1) & ~(SZ_2M - 1);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP, bo, user_va, SZ_2M, 0), EINVAL);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void vm_bind_sparse(struct igt_ctx *ctx)
{
	uint32_t vm;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP | SPARSE, 0, SZ_2M, 4 * SZ_4K, 0), 0);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

/* A sparse region [4M, 10M), then one UNMAP (bo 0) or one MAP of an 8 MiB BO at offset 0. */
struct sparse_case {
	bool map;
	uint64_t va, size;
};

static void run_sparse(struct igt_ctx *ctx, const struct sparse_case *c)
{
	uint32_t vm, bo;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_bo_create(ctx->fd, 8 * SZ_1M, 0, &bo, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP | SPARSE, 0, 4 * SZ_1M, 6 * SZ_1M, 0), 0);
	if (c->map)
		igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP, bo, c->va, c->size, 0), 0);
	else
		igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, UNMAP, 0, c->va, c->size, 0), 0);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

#define SPARSE_CASE(name, ...)                                                                           \
	static void name(struct igt_ctx *ctx)                                                            \
	{                                                                                                \
		static const struct sparse_case c = __VA_ARGS__;                                         \
		run_sparse(ctx, &c);                                                                     \
	}

SPARSE_CASE(unmap_start_size_unaligned, { false, 4 * SZ_1M, 2 * SZ_4K })
SPARSE_CASE(unmap_start_size_aligned, { false, 4 * SZ_1M, SZ_2M })
SPARSE_CASE(unmap_no_hugepage_multiple, { false, 4 * SZ_1M, 64 * SZ_4K })
SPARSE_CASE(unmap_below_start, { false, SZ_2M, 6 * SZ_1M })
SPARSE_CASE(unmap_above_start, { false, 6 * SZ_1M, SZ_2M })
SPARSE_CASE(remap, { true, 6 * SZ_1M, 4 * SZ_1M })
SPARSE_CASE(remap_start_unaligned, { true, 9 * SZ_1M, 4 * SZ_1M })
SPARSE_CASE(remap_start_size_unaligned, { true, 9 * SZ_1M, SZ_1M })
SPARSE_CASE(remap_start_size_aligned, { true, 8 * SZ_1M, 4 * SZ_1M })
SPARSE_CASE(remap_aligned_split_original_va, { true, 6 * SZ_1M, SZ_2M })
SPARSE_CASE(remap_start_aligned_size_unaligned, { true, 6 * SZ_1M, SZ_1M })
SPARSE_CASE(remap_aligned_intersect_left, { true, SZ_2M, 4 * SZ_1M })
SPARSE_CASE(remap_size_unaligned_intersect_left, { true, SZ_2M, 3 * SZ_1M })
SPARSE_CASE(remap_start_aligned_intersect_right, { true, 8 * SZ_1M, SZ_2M + 6 * SZ_4K })
SPARSE_CASE(remap_wrap_around_va, { true, SZ_2M, 8 * SZ_1M })

static void vm_bind_sparse_overflow(struct igt_ctx *ctx)
{
	uint32_t vm;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP | SPARSE, 0, 512 * SZ_1M, 0xFFFFFFFFFF800000ull, 0), EINVAL);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

static void vm_unbind_sparse_overflow(struct igt_ctx *ctx)
{
	uint32_t vm;

	igt_assert_eq(ctx, panthor_vm_create(ctx->fd, &vm, NULL), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, MAP | SPARSE, 0, 512 * SZ_1M, 6 * SZ_1M, 0), 0);
	igt_assert_eq(ctx, panthor_vm_bind(ctx->fd, vm, UNMAP, 0, 512 * SZ_1M, 0xFFFFFFFFFF800000ull, 0), EINVAL);
	igt_assert_eq(ctx, panthor_vm_destroy(ctx->fd, vm), 0);
}

int main(int argc, char **argv)
{
	static const struct igt_subtest tests[] = {
		{ "vm_create_destroy", vm_create_destroy },
		{ "vm_destroy_invalid", vm_destroy_invalid },
		{ "vm_bind", vm_bind },
		{ "vm_unbind", vm_unbind },
		{ "vm_unbind_invalid_address", vm_unbind_invalid_address },
		{ "vm_unbind_identical_hugepage_single", identical_single },
		{ "vm_unbind_identical_hugepage_single_partial", identical_single_partial },
		{ "vm_unbind_identical_hugepage_multiple", identical_multiple },
		{ "vm_unbind_identical_hugepage_offset", identical_offset },
		{ "vm_unbind_hugepage_leftaligned", leftaligned },
		{ "vm_unbind_hugepage_rightaligned", rightaligned },
		{ "vm_unbind_hugepage_superset", superset },
		{ "vm_unbind_hugepage_subset", subset },
		{ "vm_unbind_hugepage_successive", successive },
		{ "vm_bind_intersect_kbo_range", vm_bind_intersect_kbo_range },
		{ "vm_bind_sparse", vm_bind_sparse },
		{ "vm_bind_sparse_partial_unmap_start_size_unaligned", unmap_start_size_unaligned },
		{ "vm_bind_sparse_partial_unmap_start_size_aligned", unmap_start_size_aligned },
		{ "vm_bind_sparse_partial_unmap_start_aligned_no_hugepage_multiple", unmap_no_hugepage_multiple },
		{ "vm_bind_sparse_partial_unmap_below_start", unmap_below_start },
		{ "vm_bind_sparse_partial_unmap_above_start", unmap_above_start },
		{ "vm_bind_sparse_remap", remap },
		{ "vm_bind_sparse_remap_start_unaligned", remap_start_unaligned },
		{ "vm_bind_sparse_remap_start_size_unaligned", remap_start_size_unaligned },
		{ "vm_bind_sparse_remap_start_size_aligned", remap_start_size_aligned },
		{ "vm_bind_sparse_remap_aligned_split_original_va", remap_aligned_split_original_va },
		{ "vm_bind_sparse_remap_start_aligned_size_unaligned", remap_start_aligned_size_unaligned },
		{ "vm_bind_sparse_remap_aligned_intersect_left", remap_aligned_intersect_left },
		{ "vm_bind_sparse_remap_size_unaligned_intersect_left", remap_size_unaligned_intersect_left },
		{ "vm_bind_sparse_remap_start_aligned_intersect_right", remap_start_aligned_intersect_right },
		{ "vm_bind_sparse_remap_wrap_around_va", remap_wrap_around_va },
		{ "vm_bind_sparse_overflow", vm_bind_sparse_overflow },
		{ "vm_unbind_sparse_overflow", vm_unbind_sparse_overflow },
	};

	return igt_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
