/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Helpers for the sync_file / syncobj-fd clients: the uAPI beyond Debian's 6.12 headers and small wrappers. */
#include "common.h"
#include <poll.h>
#include <stdint.h>
#include <linux/sync_file.h>
#include <linux/dma-buf.h>

/* Newest upstream's struct drm_syncobj_handle (point added after 6.12) and its flags. */
struct syncobj_handle_v2 {
	__u32 handle;
	__u32 flags;
	__s32 fd;
	__u32 pad;
	__u64 point;
};
#define SYNCOBJ_HANDLE_TO_FD_V2 DRM_IOWR(0xC1, struct syncobj_handle_v2)
#define SYNCOBJ_FD_TO_HANDLE_V2 DRM_IOWR(0xC2, struct syncobj_handle_v2)
#ifndef DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE
#define DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE (1 << 1)
#define DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE (1 << 1)
#endif

/* A poll timeout no working kernel reaches, however slow the machine. */
#define GENEROUS_MS 30000

static inline __u32 syncobj_create(int fd, __u32 flags)
{
	struct drm_syncobj_create c = { .flags = flags };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c) == 0);
	return c.handle;
}

static inline int syncobj_to_fd(int fd, __u32 handle, __u32 flags)
{
	struct drm_syncobj_handle a = { .handle = handle, .flags = flags, .fd = -1 };
	if (ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a))
		return -errno;
	return a.fd;
}

static inline int syncobj_from_fd(int fd, int sfd, __u32 handle, __u32 flags, __u32 *out)
{
	struct drm_syncobj_handle a = { .handle = handle, .flags = flags, .fd = sfd };
	if (ioctl(fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &a))
		return -errno;
	if (out)
		*out = a.handle;
	return 0;
}

static inline int syncobj_wait(int fd, __u32 handle, int64_t timeout_nsec)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle, .timeout_nsec = timeout_nsec, .count_handles = 1,
	};
	return ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w) ? -errno : 0;
}

static inline void syncobj_signal(int fd, __u32 handle)
{
	struct drm_syncobj_array a = { .handles = (uintptr_t)&handle, .count_handles = 1 };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a) == 0);
}

static inline void syncobj_timeline_signal(int fd, __u32 handle, __u64 point)
{
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point, .count_handles = 1,
	};
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a) == 0);
}

/* Whether `fd` polls readable within `ms` milliseconds. */
static inline int readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);
	CHECK(n >= 0);
	return n == 1 && (p.revents & POLLIN);
}

/* SYNC_IOC_FILE_INFO's status for the whole file, and its fence count. */
static inline int sync_file_status(int fd, __u32 *num_fences)
{
	struct sync_file_info info = { 0 };
	CHECK(ioctl(fd, SYNC_IOC_FILE_INFO, &info) == 0);
	if (num_fences)
		*num_fences = info.num_fences;
	return info.status;
}
