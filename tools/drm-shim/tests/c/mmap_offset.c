// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * IGT panthor_gem bo_mmap_offset: the first BO of a fresh device must have an mmap offset whose low 32 bits are not
 * zero, because IGT compares it with igt_assert_neq(), an int comparison. The DRM fake-offset space starts at 4 GiB;
 * on Panthor every BO (the firmware's at probe, then each client BO at BO_CREATE) takes its offset when it is created,
 * so a client's first BO never sits at exactly 4 GiB.
 */
#include "common.h"

static __u32 bo_create(int fd, __u64 size, __u32 flags)
{
	struct drm_panthor_bo_create bo = { .size = size, .flags = flags };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	CHECK(bo.handle != 0);
	return bo.handle;
}

static __u64 mmap_offset(int fd, __u32 handle)
{
	struct drm_panthor_bo_mmap_offset mo = { .handle = handle };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	return mo.offset;
}

int main(void)
{
	/* As IGT's drm_open_driver: the primary node. */
	int fd = open("/dev/dri/card0", O_RDWR);
	CHECK(fd >= 0);
	check_version(fd);

	/* The client's first BO, as in the IGT subtest. */
	__u32 a = bo_create(fd, 4096, 0);
	__u64 oa = mmap_offset(fd, a);
	CHECK(oa > 0x100000000ull);
	CHECK((int)oa != 0);

	/* Offsets follow creation, not the order clients ask in; NO_MMAP BOs take one too. */
	__u32 nommap = bo_create(fd, 4096, DRM_PANTHOR_BO_NO_MMAP);
	__u32 b = bo_create(fd, 8192, 0);
	__u32 c = bo_create(fd, 4096, 0);
	CHECK(mmap_offset(fd, c) == oa + 4 * 4096);
	CHECK(mmap_offset(fd, b) == oa + 2 * 4096);
	CHECK(mmap_offset(fd, a) == oa);

	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, oa);
	CHECK(p != MAP_FAILED);
	CHECK(p[0] == 0);
	CHECK(munmap(p, 4096) == 0);

	struct drm_gem_close gc = { .handle = nommap };
	CHECK(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc) == 0);
	/* The freed offset is the next one handed out. */
	CHECK(mmap_offset(fd, bo_create(fd, 4096, 0)) == oa + 4096);
	CHECK(close(fd) == 0);
	puts("ok");
	return 0;
}
