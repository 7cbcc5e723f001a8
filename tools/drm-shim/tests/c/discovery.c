// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* What libdrm's drmGetDevices2 and IGT's drm_open_driver look at before any ioctl. */
#define _GNU_SOURCE /* statx */
#include "common.h"
#include <dirent.h>
#include <limits.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>

static void check_node(const char *path, unsigned minor)
{
	struct stat st;
	CHECK(stat(path, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 226 && minor(st.st_rdev) == minor);
	printf("%s %u:%u\n", path, major(st.st_rdev), minor(st.st_rdev));
}

static int contains_line(const char *path, const char *line)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	int found = 0;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, line, strlen(line)) == 0 && buf[strlen(line)] == '\n')
			found = 1;
	fclose(f);
	return found;
}

int main(void)
{
	check_node("/dev/dri/renderD128", 128);
	check_node("/dev/dri/card0", 0);
	struct stat st;
	CHECK(stat("/dev/dri/card1", &st) == -1 && errno == ENOENT);
	CHECK(lstat("/sys/dev/char/226:128", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(stat("/sys/dev/char/226:128/device/drm", &st) == 0 && S_ISDIR(st.st_mode));

	DIR *d = opendir("/dev/dri");
	CHECK(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("/dev/dri/%s\n", e->d_name);
	CHECK(closedir(d) == 0);

	CHECK(contains_line("/sys/dev/char/226:128/device/uevent", "DRIVER=panthor"));
	CHECK(contains_line("/sys/dev/char/226:128/device/uevent", "OF_COMPATIBLE_0=rockchip,rk3588-mali"));
	CHECK(contains_line("/sys/class/drm/card0/dev", "226:0"));
	char path[PATH_MAX];
	CHECK(realpath("/sys/dev/char/226:128/device/subsystem", path) != NULL);
	printf("subsystem %s\n", strrchr(path, '/') + 1);
	CHECK(realpath("/sys/dev/char/226:0/device", path) != NULL);
	printf("device %s\n", path);
	ssize_t n = readlink("/sys/dev/char/226:128/device/driver", path, sizeof(path) - 1);
	CHECK(n > 0);
	path[n] = 0;
	printf("driver %s\n", strrchr(path, '/') + 1);
	CHECK(access("/dev/dri/renderD128", R_OK | W_OK) == 0);

	/* IGT: fstat must succeed on the opened node, and /proc/self/fd must name it. */
	int fd = open("/dev/dri/card0", O_RDWR);
	CHECK(fd >= 0);
	check_version(fd);
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && minor(st.st_rdev) == 0);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, path, sizeof(path) - 1);
	CHECK(n > 0);
	path[n] = 0;
	printf("fd %s\n", path);
	CHECK(close(fd) == 0);
	/* statx, and a directory descriptor for openat/fdopendir (as udev and Rust's std walk directories). */
	struct statx sx;
	CHECK(statx(AT_FDCWD, "/dev/dri/renderD128", 0, STATX_BASIC_STATS, &sx) == 0);
	CHECK(S_ISCHR(sx.stx_mode) && sx.stx_rdev_major == 226 && sx.stx_rdev_minor == 128);
	int dfd = open("/dev/dri", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK(fstatat(dfd, "card0", &st, 0) == 0 && S_ISCHR(st.st_mode) && minor(st.st_rdev) == 0);
	int rfd = openat(dfd, "renderD128", O_RDWR);
	CHECK(rfd >= 0);
	check_version(rfd);
	CHECK(close(rfd) == 0);
	d = fdopendir(dfd);
	CHECK(d != NULL);
	int entries = 0;
	while ((e = readdir(d)))
		entries++;
	CHECK(entries == 5);
	CHECK(closedir(d) == 0);

	/* Everything else is the host's. */
	CHECK(stat("/dev/null", &st) == 0 && major(st.st_rdev) == 1);
	return 0;
}
