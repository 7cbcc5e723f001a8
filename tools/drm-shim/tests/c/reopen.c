// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Re-opening a DRM descriptor through /proc/self/fd/N, as IGT's drm_reopen_driver does: the kernel opens the node
 * again, so the new descriptor is a new DRM file with its own handles and its own master state.
 */
#include "common.h"
#include <sys/sysmacros.h>

static int reopen_path(const char *fmt, int fd)
{
	char path[64];
	snprintf(path, sizeof(path), fmt, fd);
	int nfd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(nfd >= 0);
	return nfd;
}

static __u32 bo_create(int fd)
{
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	return bo.handle;
}

static void gem_close_errno(int fd, __u32 handle, int want)
{
	struct drm_gem_close c = { .handle = handle };
	int r = ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
	CHECK(want == 0 ? r == 0 : r == -1 && errno == want);
}

/* A BO made in `a` reaches `b` through PRIME, and the bytes are shared. */
static void prime_between(int a, int b)
{
	__u32 h = bo_create(a);
	struct drm_prime_handle exp = { .handle = h, .flags = DRM_CLOEXEC | DRM_RDWR };
	CHECK(ioctl(a, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp) == 0);
	struct drm_prime_handle imp = { .fd = exp.fd };
	CHECK(ioctl(b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp) == 0 && imp.handle != 0);
	struct drm_panthor_bo_mmap_offset oa = { .handle = h }, ob = { .handle = imp.handle };
	CHECK(ioctl(a, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &oa) == 0);
	CHECK(ioctl(b, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &ob) == 0);
	unsigned char *pa = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a, oa.offset);
	unsigned char *pb = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, b, ob.offset);
	CHECK(pa != MAP_FAILED && pb != MAP_FAILED);
	pa[123] = 0x5a;
	CHECK(pb[123] == 0x5a);
	CHECK(munmap(pa, 4096) == 0 && munmap(pb, 4096) == 0);
	CHECK(close(exp.fd) == 0);
	gem_close_errno(a, h, 0);
	gem_close_errno(b, imp.handle, 0);
}

static void independent_files(int first, int second)
{
	__u32 h = bo_create(first);
	/* The new file has its own handle space: the first file's handle means nothing there. */
	gem_close_errno(second, h, EINVAL);
	__u32 h2 = bo_create(second);
	CHECK(h2 == h); /* both handle spaces start at 1 */
	gem_close_errno(second, h2, 0);
	gem_close_errno(second, h2, EINVAL);
	/* Closing in one file left the other's BO alone. */
	struct drm_panthor_bo_mmap_offset mo = { .handle = h };
	CHECK(ioctl(first, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	gem_close_errno(first, h, 0);
	prime_between(first, second);
	prime_between(second, first);
}

int main(void)
{
	/* renderD128, through /proc/self/fd and through /proc/<pid>/fd. */
	int r = open_render();
	int r2 = reopen_path("/proc/self/fd/%d", r);
	CHECK(r2 != r);
	check_version(r2);
	struct stat st;
	CHECK(fstat(r2, &st) == 0 && S_ISCHR(st.st_mode) && minor(st.st_rdev) == 128);
	char proc[64], link[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r);
	CHECK(stat(proc, &st) == 0 && S_ISCHR(st.st_mode) && minor(st.st_rdev) == 128);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r2);
	ssize_t n = readlink(proc, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = 0;
	CHECK(strcmp(link, "/dev/dri/renderD128") == 0);
	independent_files(r, r2);
	char pidfmt[64];
	snprintf(pidfmt, sizeof(pidfmt), "/proc/%d/fd/%%d", getpid());
	int r3 = reopen_path(pidfmt, r2);
	independent_files(r2, r3);
	/* openat relative to an open /proc/self/fd. */
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir >= 0);
	char num[16];
	snprintf(num, sizeof(num), "%d", r);
	int r4 = openat(dir, num, O_RDWR | O_CLOEXEC);
	CHECK(r4 >= 0);
	independent_files(r, r4);
	CHECK(close(dir) == 0);
	/* Each file outlives the one it was opened from. */
	CHECK(close(r) == 0);
	check_version(r2);
	independent_files(r2, r4);
	CHECK(close(r2) == 0 && close(r3) == 0 && close(r4) == 0);

	/* card0: the re-opened file is a new primary client, not master while the first holds it. */
	int c = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	CHECK(c >= 0);
	int c2 = reopen_path("/proc/self/fd/%d", c);
	check_version(c2);
	CHECK(fstat(c2, &st) == 0 && minor(st.st_rdev) == 0);
	struct drm_mode_mode_cmd mc = { 0 };
	CHECK(ioctl(c, DRM_IOCTL_MODE_ATTACHMODE, &mc) == 0);                      /* DRM_MASTER: the first is */
	CHECK(ioctl(c2, DRM_IOCTL_MODE_ATTACHMODE, &mc) == -1 && errno == EACCES); /* the new one is not */
	struct drm_auth magic = { 0 };
	CHECK(ioctl(c2, DRM_IOCTL_GET_MAGIC, &magic) == 0 && magic.magic != 0);
	independent_files(c, c2);
	/* Closing the first frees the master; a file that never was master still needs CAP_SYS_ADMIN to take it,
	 * but the next fresh open (here: another re-open) becomes master as drm_master_open makes it. */
	CHECK(close(c) == 0);
	CHECK(ioctl(c2, DRM_IOCTL_MODE_ATTACHMODE, &mc) == -1 && errno == EACCES);
	int c3 = reopen_path("/proc/self/fd/%d", c2);
	CHECK(ioctl(c3, DRM_IOCTL_MODE_ATTACHMODE, &mc) == 0);
	CHECK(close(c2) == 0 && close(c3) == 0);

	/* A number that is not one of ours passes through to libc; a closed one is ENOENT as for any process. */
	int nul = open("/dev/null", O_RDONLY);
	CHECK(nul >= 0);
	int nul2 = reopen_path("/proc/self/fd/%d", nul);
	CHECK(fstat(nul2, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1);
	CHECK(close(nul) == 0 && close(nul2) == 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", nul);
	CHECK(open(proc, O_RDWR) == -1 && errno == ENOENT);
	puts("ok");
	return 0;
}
