// SPDX-License-Identifier: GPL-2.0-only OR MIT
// What a dma-buf's file answers besides its ioctls: its size (fstat, and lseek as dma_buf_llseek: SEEK_END and
// SEEK_SET with offset 0 only; Mesa sizes an import with lseek(fd, 0, SEEK_END)), and that mapping it is refused.
#define _GNU_SOURCE
#include <sys/mman.h>

#include "common.h"

int main(void)
{
	int fd = open_render();
	struct drm_panthor_bo_create bo = { .size = 5 * 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	struct drm_prime_handle ph = { .handle = bo.handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	CHECK(ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0);
	int buf = ph.fd;

	struct stat st;
	CHECK(fstat(buf, &st) == 0 && st.st_size == 5 * 4096);
	CHECK(lseek(buf, 0, SEEK_END) == 5 * 4096);
	CHECK(lseek(buf, 0, SEEK_SET) == 0);
	CHECK(lseek(buf, 0, SEEK_END) == 5 * 4096);
	CHECK(lseek(buf, 0, SEEK_CUR) == -1 && errno == EINVAL);
	CHECK(lseek(buf, 4096, SEEK_SET) == -1 && errno == EINVAL);
	CHECK(lseek(buf, -4096, SEEK_END) == -1 && errno == EINVAL);
	CHECK(lseek(buf, 0, SEEK_DATA) == -1 && errno == EINVAL);
	/* The same through a second descriptor of the same dma-buf. */
	int buf2 = dup(buf);
	CHECK(buf2 >= 0 && lseek(buf2, 0, SEEK_END) == 5 * 4096);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, buf, 0) == MAP_FAILED && errno == ENODEV);

	/* An ordinary file keeps libc's lseek. */
	int memfd = memfd_create("plain", 0);
	CHECK(memfd >= 0 && ftruncate(memfd, 100) == 0);
	CHECK(lseek(memfd, 10, SEEK_SET) == 10 && lseek(memfd, 5, SEEK_CUR) == 15 && lseek(memfd, 0, SEEK_END) == 100);

	CHECK(close(memfd) == 0 && close(buf2) == 0 && close(buf) == 0);
	CHECK(close(fd) == 0);
	printf("ok\n");
	return 0;
}
