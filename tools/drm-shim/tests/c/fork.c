// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* IGT forks subtests: the child gets a device of its own; the parent's is untouched. */
#include "common.h"
#include <sys/wait.h>

static unsigned char *map_bo(int fd, __u32 *handle)
{
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	struct drm_panthor_bo_mmap_offset mo = { .handle = bo.handle };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mo.offset);
	CHECK(p != MAP_FAILED);
	*handle = bo.handle;
	return p;
}

int main(void)
{
	int fd = open_render();
	__u32 handle;
	unsigned char *p = map_bo(fd, &handle);
	p[0] = 0xaa;

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* The inherited descriptor's device is gone in the child. */
		struct drm_version v = { 0 };
		CHECK(ioctl(fd, DRM_IOCTL_VERSION, &v) == -1 && errno == ENODEV);
		CHECK(close(fd) == 0);
		int cfd = open_render();
		check_version(cfd);
		__u32 h;
		unsigned char *c = map_bo(cfd, &h);
		CHECK(c[0] == 0);
		c[0] = 0x55;
		CHECK(munmap(c, 4096) == 0);
		CHECK(close(cfd) == 0);
		_exit(0);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	check_version(fd);
	CHECK(p[0] == 0xaa);
	__u32 h2;
	unsigned char *q = map_bo(fd, &h2);
	CHECK(h2 == handle + 1 && q[0] == 0);
	CHECK(close(fd) == 0);
	puts("ok");
	return 0;
}
