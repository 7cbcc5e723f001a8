// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * What Mesa's WSI does with a GPU job's out-syncobj: export it as a sync_file and hand it on. Queue 0's job blocks
 * in SYNC_WAIT32 on a word in a BO until queue 1's job sets it, so the test decides when the job ends: before, the
 * sync_file is not readable, FILE_INFO says active and a SYNCOBJ_EVENTFD under epoll has not fired; after, all
 * three say done, and the sync_file imported into a card0 syncobj waits. The BO's dma-buf meanwhile exports a
 * signalled sync_file: the job fence is a BOOKKEEP fence, which implicit sync never waits for. Last, a job that
 * faults: its sync_file reports the fence's error.
 */
#include "sync_util.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define STREAM_A_VA 0x1000000ull
#define STREAM_B_VA 0x1001000ull
#define SYNC_VA 0x1002000ull

static __u32 bo_mapped(int fd, void **map)
{
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	struct drm_panthor_bo_mmap_offset mo = { .handle = bo.handle };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) == 0);
	*map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mo.offset);
	CHECK(*map != MAP_FAILED);
	return bo.handle;
}

static void vm_map(int fd, __u32 vm, __u32 bo, __u64 va)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = bo, .va = va, .size = 4096,
	};
	struct drm_panthor_vm_bind b = { .vm_id = vm, .ops = DRM_PANTHOR_OBJ_ARRAY(1, &op) };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b) == 0);
}

static __u32 group_create(int fd, __u32 vm)
{
	struct drm_panthor_gpu_info gpu = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(gpu), .pointer = (uintptr_t)&gpu,
	};
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q) == 0);
	struct drm_panthor_queue_create queues[2] = {
		{ .priority = 0, .ringbuf_size = 4096 },
		{ .priority = 0, .ringbuf_size = 4096 },
	};
	struct drm_panthor_group_create g = {
		.queues = DRM_PANTHOR_OBJ_ARRAY(2, queues),
		.max_compute_cores = 1,
		.max_fragment_cores = 1,
		.max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_MEDIUM,
		.vm_id = vm,
	};
	g.compute_core_mask = gpu.shader_present & -gpu.shader_present;
	g.fragment_core_mask = g.compute_core_mask;
	g.tiler_core_mask = gpu.tiler_present & -gpu.tiler_present;
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &g) == 0);
	return g.group_handle;
}

static void submit(int fd, __u32 group, __u32 queue, __u64 va, __u32 size, __u32 out_syncobj)
{
	struct drm_panthor_sync_op sync = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = out_syncobj,
	};
	struct drm_panthor_queue_submit qs = {
		.queue_index = queue,
		.stream_size = size,
		.stream_addr = va,
		.syncs = DRM_PANTHOR_OBJ_ARRAY(1, &sync),
	};
	struct drm_panthor_group_submit gs = { .group_handle = group, .queue_submits = DRM_PANTHOR_OBJ_ARRAY(1, &qs) };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs) == 0);
}

int main(void)
{
	static const uint64_t wait_stream[] = {
		0x0144000000000000ull | SYNC_VA, /* MOVE48 r68:r69 <- SYNC_VA */
		0x0246000000000000ull,           /* MOVE32 r70 <- 0 */
		0x2700444610000000ull,           /* SYNC_WAIT32 until [r68] > r70 */
	};
	static const uint64_t set_stream[] = {
		0x0144000000000000ull | SYNC_VA, /* MOVE48 r68:r69 <- SYNC_VA */
		0x0246000000000001ull,           /* MOVE32 r70 <- 1 */
		0x2600444600000000ull,           /* SYNC_SET32 [r68] <- r70, system scope */
		0x0300000000FF0000ull,           /* WAIT all scoreboards */
	};
	int fd = open_render();
	int card = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	CHECK(card >= 0);
	struct drm_panthor_vm_create vc = { 0 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vc) == 0);
	void *a, *b, *s;
	__u32 ha = bo_mapped(fd, &a), hb = bo_mapped(fd, &b), hs = bo_mapped(fd, &s);
	memcpy(a, wait_stream, sizeof(wait_stream));
	memcpy(b, set_stream, sizeof(set_stream));
	vm_map(fd, vc.id, ha, STREAM_A_VA);
	vm_map(fd, vc.id, hb, STREAM_B_VA);
	vm_map(fd, vc.id, hs, SYNC_VA);
	__u32 group = group_create(fd, vc.id);

	__u32 out = syncobj_create(fd, 0), out_b = syncobj_create(fd, 0);
	submit(fd, group, 0, STREAM_A_VA, sizeof(wait_stream), out);
	int sync = syncobj_to_fd(fd, out, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(sync >= 0);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, got;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	struct drm_syncobj_eventfd e = { .handle = out, .fd = efd };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == 0);

	/* The job is blocked: nothing is done yet. */
	CHECK(!readable_within(sync, 0));
	__u32 n = 0;
	CHECK(sync_file_status(sync, &n) == 0 && n == 1);
	CHECK(epoll_wait(ep, &got, 1, 0) == 0);
	CHECK(syncobj_wait(fd, out, 0) == -ETIME);
	/* The BO's dma-buf: the job's fence is BOOKKEEP, so implicit sync sees nothing to wait for. */
	struct drm_prime_handle ph = { .handle = hs, .flags = DRM_CLOEXEC | DRM_RDWR };
	CHECK(ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0);
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };
	CHECK(ioctl(ph.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) == 0);
	CHECK(readable_within(ex.fd, 0) && sync_file_status(ex.fd, NULL) == 1);

	/* A sync_file closed before its fence signals: the kernel side's write finds no reader, and the SIGPIPE that
	 * raises must not reach this process (whose default action would kill it). */
	int doomed = syncobj_to_fd(fd, out, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(doomed >= 0);
	close(doomed);

	/* Queue 1 releases queue 0: the job ends, and every view of its fence says so. */
	submit(fd, group, 1, STREAM_B_VA, sizeof(set_stream), out_b);
	CHECK(readable_within(sync, GENEROUS_MS));
	struct sync_fence_info fi;
	struct sync_file_info info = { .num_fences = 1, .sync_fence_info = (uintptr_t)&fi };
	CHECK(ioctl(sync, SYNC_IOC_FILE_INFO, &info) == 0);
	if (info.status != 1 || fi.status != 1 || fi.timestamp_ns == 0)
		fprintf(stderr, "status %d fence %d ts %llu driver %s\n", info.status, fi.status, (unsigned long long)fi.timestamp_ns, fi.driver_name);
	CHECK(info.status == 1 && fi.status == 1 && fi.timestamp_ns != 0);
	CHECK(epoll_wait(ep, &got, 1, GENEROUS_MS) == 1);
	uint64_t v = 0;
	CHECK(read(efd, &v, 8) == 8 && v == 1);
	__u32 imported = syncobj_create(card, 0);
	CHECK(syncobj_from_fd(card, sync, imported, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == 0);
	CHECK(syncobj_wait(card, imported, INT64_MAX) == 0);
	CHECK(syncobj_wait(fd, out_b, INT64_MAX) == 0);
	CHECK(*(volatile uint32_t *)s == 1);

	struct drm_panthor_group_destroy gd = { .group_handle = group };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd) == 0);

	/* A job that faults (an undefined opcode): its fence signals with an error, which the sync_file reports as a
	 * negative status while SYNCOBJ_WAIT, which only asks whether it signalled, succeeds. */
	static const uint64_t bad_stream[] = { 0xFF00000000000000ull };
	memcpy(a, bad_stream, sizeof(bad_stream));
	__u32 bad_group = group_create(fd, vc.id), failed = syncobj_create(fd, 0);
	submit(fd, bad_group, 0, STREAM_A_VA, sizeof(bad_stream), failed);
	int bad = syncobj_to_fd(fd, failed, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(bad >= 0);
	CHECK(readable_within(bad, GENEROUS_MS));
	info = (struct sync_file_info){ .num_fences = 1, .sync_fence_info = (uintptr_t)&fi };
	CHECK(ioctl(bad, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(info.status < 0 && fi.status == info.status);
	CHECK(sync_file_status(bad, NULL) == info.status);
	CHECK(syncobj_wait(fd, failed, INT64_MAX) == 0);
	close(bad);
	gd.group_handle = bad_group;
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd) == 0);
	close(ex.fd);
	close(ph.fd);
	close(ep);
	close(efd);
	close(sync);
	close(card);
	close(fd);
	printf("job sync file ok\n");
	return 0;
}
