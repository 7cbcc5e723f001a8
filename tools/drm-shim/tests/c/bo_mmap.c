// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* igt_panthor_bo_create_mapped, twice over the same BO. */
#include "common.h"

int main(void)
{
	int fd = open_render();
	struct drm_panthor_bo_create bo = { .size = 3 * 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	CHECK(bo.handle != 0 && bo.size == 3 * 4096);
	struct drm_panthor_bo_mmap_offset mo = { .handle = bo.handle };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	CHECK(mo.offset != 0);

	unsigned char *a = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mo.offset);
	CHECK(a != MAP_FAILED);
	for (size_t i = 0; i < bo.size; i++)
		CHECK(a[i] == 0);
	for (size_t i = 0; i < bo.size; i++)
		a[i] = (unsigned char)(i * 7 + 1);

	unsigned char *b = mmap(NULL, bo.size, PROT_READ, MAP_SHARED, fd, mo.offset);
	CHECK(b != MAP_FAILED && b != a);
	for (size_t i = 0; i < bo.size; i++)
		CHECK(b[i] == (unsigned char)(i * 7 + 1));

	/* Private mappings and mappings longer than the BO are refused, as by panthor_mmap. */
	CHECK(mmap(NULL, bo.size, PROT_READ, MAP_PRIVATE, fd, mo.offset) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, 2 * bo.size, PROT_READ, MAP_SHARED, fd, mo.offset) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0x7000) == MAP_FAILED && errno == EINVAL);

	CHECK(munmap(a, bo.size) == 0);
	struct drm_gem_close gc = { .handle = bo.handle };
	CHECK(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc) == 0);
	/* The remaining mapping keeps the BO alive, as a VMA does. */
	CHECK(b[4096] == (unsigned char)(4096 * 7 + 1));
	CHECK(munmap(b, bo.size) == 0);

	/* The LATEST_FLUSH_ID page: shared, one page, read-only (Mesa maps it at device creation). */
	volatile __u32 *flush = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET);
	CHECK(flush != MAP_FAILED);
	printf("flush id %u\n", *flush);
	CHECK(munmap((void *)flush, 4096) == 0);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET) ==
		      MAP_FAILED &&
	      errno == EINVAL);
	CHECK(mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET) == MAP_FAILED &&
	      errno == EINVAL);
	CHECK(close(fd) == 0);
	puts("ok");
	return 0;
}
