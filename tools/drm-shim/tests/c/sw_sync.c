// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* The software sync timeline (debugfs sync/sw_sync) through the shim, as IGT's sw_sync and syncobj tests drive it:
 * fences at chosen points are sync_files that become readable when INC passes them, import into DRM syncobjs, and
 * signal with ENOENT when the timeline is closed. */
#include <time.h>

#include "sync_util.h"

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)

static int create_fence(int tl, __u32 value)
{
	struct sw_sync_create_fence_data d = { .value = value, .fence = -1 };
	CHECK(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) == 0);
	CHECK(d.fence >= 0);
	CHECK(fcntl(d.fence, F_GETFD) == FD_CLOEXEC);
	return d.fence;
}

static void inc(int tl, __u32 n)
{
	CHECK(ioctl(tl, SW_SYNC_IOC_INC, &n) == 0);
}

static int64_t now_plus(int64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec + ns;
}

int main(void)
{
	CHECK(access(SW_SYNC_PATH, R_OK | W_OK) == 0);
	struct stat st;
	CHECK(stat(SW_SYNC_PATH, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
	int tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	CHECK(tl >= 0);
	CHECK(fstat(tl, &st) == 0 && S_ISREG(st.st_mode));

	/* A pending point: not readable, active; the fence names are sw_sync's and the timeline's (the comm). */
	int f1 = create_fence(tl, 1);
	CHECK(!readable_within(f1, 0));
	struct sync_fence_info fi[2];
	struct sync_file_info info = { .num_fences = 2, .sync_fence_info = (uintptr_t)fi };
	CHECK(ioctl(f1, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(info.status == 0 && info.num_fences == 1 && fi[0].status == 0);
	CHECK(strcmp(fi[0].driver_name, "sw_sync") == 0);
	CHECK(strcmp(fi[0].obj_name, "sw_sync") == 0);

	/* The same point twice is the same fence: merging the two gives one. */
	int f1b = create_fence(tl, 1);
	struct sync_merge_data m = { .name = "m", .fd2 = f1b };
	CHECK(ioctl(f1, SYNC_IOC_MERGE, &m) == 0);
	__u32 n;
	CHECK(sync_file_status(m.fence, &n) == 0 && n == 1);

	/* INC passes it: readable (poll blocks until then), status 1 with a timestamp. */
	inc(tl, 1);
	CHECK(readable_within(f1, GENEROUS_MS) && readable_within(m.fence, GENEROUS_MS));
	info = (struct sync_file_info){ .num_fences = 1, .sync_fence_info = (uintptr_t)fi };
	CHECK(ioctl(f1, SYNC_IOC_FILE_INFO, &info) == 0 && info.status == 1 && fi[0].timestamp_ns != 0);

	/* A point already passed is signalled at once. */
	int past = create_fence(tl, 1);
	CHECK(sync_file_status(past, NULL) == 1);

	/* Into a DRM syncobj: it waits for the timeline, then the wait returns. */
	int drm = open_render();
	__u32 obj = syncobj_create(drm, 0);
	int f3 = create_fence(tl, 3);
	CHECK(syncobj_from_fd(drm, f3, obj, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == 0);
	CHECK(syncobj_wait(drm, obj, now_plus(0)) == -ETIME);
	inc(tl, 1);
	CHECK(syncobj_wait(drm, obj, now_plus(0)) == -ETIME);
	inc(tl, 1);
	CHECK(syncobj_wait(drm, obj, now_plus(GENEROUS_MS * 1000000ll)) == 0);

	/* Errors: a bad pointer, an unknown command. */
	CHECK(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, (void *)8) == -1 && errno == EFAULT);
	CHECK(ioctl(tl, SW_SYNC_IOC_INC, (void *)8) == -1 && errno == EFAULT);
	CHECK(ioctl(tl, _IO('W', 9), 0) == -1 && errno == ENOTTY);

	/* Closing the timeline's last descriptor signals what is pending with ENOENT; a dup keeps it open. */
	int f9 = create_fence(tl, 9);
	int tl2 = dup(tl);
	CHECK(tl2 >= 0);
	close(tl);
	CHECK(!readable_within(f9, 0));
	inc(tl2, 1);
	CHECK(!readable_within(f9, 0));
	close(tl2);
	CHECK(readable_within(f9, GENEROUS_MS));
	CHECK(sync_file_status(f9, NULL) == -ENOENT);

	/* Each open is a timeline of its own. */
	int a = open(SW_SYNC_PATH, O_RDWR), b = open(SW_SYNC_PATH, O_RDWR);
	CHECK(a >= 0 && b >= 0);
	int fa = create_fence(a, 1);
	inc(b, 1);
	CHECK(!readable_within(fa, 0));
	inc(a, 1);
	CHECK(readable_within(fa, GENEROUS_MS));
	printf("sw_sync ok\n");
	return 0;
}
