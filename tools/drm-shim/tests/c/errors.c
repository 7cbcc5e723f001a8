// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Bad arguments are errnos, never a crash. */
#include "common.h"

int main(void)
{
	int fd = open_render();
	CHECK(ioctl(fd, DRM_IOCTL_VERSION, (void *)0x10) == -1 && errno == EFAULT);
	struct drm_version v = { 0 };
	CHECK(ioctl(9999, DRM_IOCTL_VERSION, &v) == -1 && errno == EBADF);
	CHECK(ioctl(-1, DRM_IOCTL_VERSION, &v) == -1 && errno == EBADF);
	/* A driver number past Panthor's table, and a core number with no handler: EINVAL (drm_ioctl). */
	CHECK(ioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x50, struct drm_version), &v) == -1 && errno == EINVAL);
	CHECK(ioctl(fd, DRM_IOWR(0x3e, struct drm_version), &v) == -1 && errno == EINVAL);
	/* Not a DRM ioctl at all. */
	CHECK(ioctl(fd, _IOWR('x', 1, int), &v) == -1 && errno == ENOTTY);
	/* A bad pointer inside a valid struct. */
	struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(struct drm_panthor_gpu_info), .pointer = 0x10 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q) == -1 && errno == EFAULT);

	/* A dup shares the file: BOs made through one are visible through the other, and it outlives the original. */
	int fd2 = dup(fd);
	CHECK(fd2 >= 0 && fd2 != fd);
	int fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	CHECK(fd3 >= 100);
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	CHECK(close(fd) == 0);
	struct drm_panthor_bo_mmap_offset mo = { .handle = bo.handle };
	CHECK(ioctl(fd2, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	CHECK(close(fd2) == 0);
	CHECK(ioctl(fd3, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	CHECK(close(fd3) == 0);
	/* Closed: the number is nobody's now. */
	CHECK(ioctl(fd3, DRM_IOCTL_VERSION, &v) == -1 && errno == EBADF);
	puts("ok");
	return 0;
}
