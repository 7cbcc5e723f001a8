/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Shared helpers for the drm-shim C clients: only libc and the kernel uAPI headers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <drm/drm.h>
#include <drm/panthor_drm.h>

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: check failed: %s (errno %d %s)\n", __FILE__, __LINE__, \
				#cond, errno, strerror(errno));                                      \
			exit(1);                                                                     \
		}                                                                                    \
	} while (0)

static inline int open_render(void)
{
	int fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	return fd;
}

/* DRM_IOCTL_VERSION as IGT's drm_open_driver sends it: a zeroed name buffer, no date or desc. */
static inline void check_version(int fd)
{
	char name[16] = { 0 };
	struct drm_version v = { 0 };
	v.name_len = sizeof(name) - 1;
	v.name = name;
	CHECK(ioctl(fd, DRM_IOCTL_VERSION, &v) == 0);
	CHECK(strcmp(name, "panthor") == 0);
	CHECK(v.version_major == 1 && v.version_minor == 9);
}
