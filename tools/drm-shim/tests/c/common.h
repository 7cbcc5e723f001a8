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

/* `cat DIR/NAME` for a sysfs attribute: open, read to EOF `chunk` bytes at a time, close; 0, or -1 with errno if a
 * read failed (the attribute's show returned an error). The open must succeed. */
static inline int sysfs_cat(const char *dir, const char *name, char *out, size_t len, size_t chunk)
{
	char path[256];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s%s", dir, name);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	for (;;) {
		size_t want = len - 1 - n < chunk ? len - 1 - n : chunk;
		ssize_t r = read(fd, out + n, want);
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += r;
	}
	out[n] = 0;
	CHECK(close(fd) == 0);
	return 0;
}

/* `echo -n S > DIR/NAME`: the write's return value, or -1 with errno from the open or the write. */
static inline ssize_t sysfs_echo(const char *dir, const char *name, const char *s)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", dir, name);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t r = write(fd, s, strlen(s));
	int e = errno;
	CHECK(close(fd) == 0);
	errno = e;
	return r;
}
