// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Syncobj files, sync_files and dma-buf sync_file ioctls as Mesa's WSI and IGT's syncobj / sync_file tests use them:
 * a syncobj shared between a card0 and a renderD128 file through a syncobj fd, sync_file export/import between
 * files, MERGE and FILE_INFO, SYNCOBJ_EVENTFD under epoll, PRIME dma-bufs exporting and importing sync_files, and a
 * fork child whose inherited descriptors are foreign to its own device.
 */
#include "sync_util.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static void shared_syncobj_between_card_and_render(void)
{
	int card = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	int render = open_render();
	CHECK(card >= 0);
	__u32 h = syncobj_create(card, 0);
	int sfd = syncobj_to_fd(card, h, 0);
	CHECK(sfd >= 0);
	CHECK((fcntl(sfd, F_GETFD) & FD_CLOEXEC) != 0);
	/* The syncobj outlives its only handle through the fd. */
	struct drm_syncobj_destroy d = { .handle = h };
	CHECK(ioctl(card, DRM_IOCTL_SYNCOBJ_DESTROY, &d) == 0);
	__u32 rh, ch;
	CHECK(syncobj_from_fd(render, sfd, 0, 0, &rh) == 0);
	CHECK(syncobj_from_fd(card, sfd, 0, 0, &ch) == 0);
	CHECK(syncobj_wait(render, rh, 0) == -EINVAL); /* no fence yet */
	syncobj_signal(card, ch);
	CHECK(syncobj_wait(render, rh, 0) == 0); /* signalled on card0, seen on renderD128 */
	/* A sync_file of it, imported into a syncobj of the other file. */
	int sync = syncobj_to_fd(render, rh, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(sync >= 0);
	CHECK(readable_within(sync, GENEROUS_MS));
	__u32 n = 0;
	CHECK(sync_file_status(sync, &n) == 1 && n == 1);
	__u32 other = syncobj_create(card, 0);
	CHECK(syncobj_from_fd(card, sync, other, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == 0);
	CHECK(syncobj_wait(card, other, INT64_MAX) == 0);
	/* Errnos: not a syncobj file, not a sync_file, unknown handles, a syncobj without fence. */
	CHECK(syncobj_from_fd(render, sync, 0, 0, NULL) == -EINVAL);
	CHECK(syncobj_from_fd(render, sfd, rh, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == -EINVAL);
	CHECK(syncobj_from_fd(render, 0, 0, 0, NULL) == -EINVAL);
	CHECK(syncobj_from_fd(render, sync, 999, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == -ENOENT);
	CHECK(syncobj_to_fd(render, 999, 0) == -EINVAL);
	CHECK(syncobj_to_fd(render, 999, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE) == -ENOENT);
	CHECK(syncobj_to_fd(render, syncobj_create(render, 0), DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE) ==
	      -EINVAL);
	/* A syncobj file has no ioctls; a sync_file answers ENOTTY to an unknown one. */
	struct sync_file_info info = { 0 };
	CHECK(ioctl(sfd, SYNC_IOC_FILE_INFO, &info) == -1 && errno == ENOTTY);
	CHECK(ioctl(sync, _IO('>', 9)) == -1 && errno == ENOTTY);
	close(sync);
	close(sfd);
	close(render);
	close(card);
}

static void timeline_point_export_and_merge(void)
{
	int fd = open_render();
	__u32 tl = syncobj_create(fd, 0);
	syncobj_timeline_signal(fd, tl, 3);
	struct syncobj_handle_v2 a = {
		.handle = tl,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE,
		.fd = -1,
		.point = 5,
	};
	CHECK(ioctl(fd, SYNCOBJ_HANDLE_TO_FD_V2, &a) == -1 && errno == EINVAL); /* not submitted */
	a.point = 3;
	CHECK(ioctl(fd, SYNCOBJ_HANDLE_TO_FD_V2, &a) == 0);
	int p3 = a.fd;
	CHECK(readable_within(p3, GENEROUS_MS));
	/* Import as point 7 of another timeline. */
	__u32 other = syncobj_create(fd, 0);
	struct syncobj_handle_v2 imp = {
		.handle = other,
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE,
		.fd = p3,
		.point = 7,
	};
	CHECK(ioctl(fd, SYNCOBJ_FD_TO_HANDLE_V2, &imp) == 0);
	__u64 point = 0;
	struct drm_syncobj_timeline_array q = {
		.handles = (uintptr_t)&other, .points = (uintptr_t)&point, .count_handles = 1,
		.flags = DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED,
	};
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &q) == 0 && point == 7);
	/* MERGE of two signalled sync_files: a signalled file named as asked. */
	__u32 b = syncobj_create(fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	int fb = syncobj_to_fd(fd, b, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(fb >= 0);
	struct sync_merge_data m = { .name = "merged", .fd2 = fb };
	CHECK(ioctl(p3, SYNC_IOC_MERGE, &m) == 0);
	CHECK(m.fence >= 0 && m.fence != p3 && m.fence != fb);
	CHECK(readable_within(m.fence, GENEROUS_MS));
	struct sync_fence_info fi[2];
	memset(fi, 0x5a, sizeof(fi));
	struct sync_file_info info = { .num_fences = 2, .sync_fence_info = (uintptr_t)fi };
	CHECK(ioctl(m.fence, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(strcmp(info.name, "merged") == 0 && info.status == 1 && info.num_fences == 1);
	CHECK(fi[0].status == 1 && strcmp(fi[0].driver_name, "stub") == 0);
	struct sync_merge_data bad = { .fd2 = fd };
	CHECK(ioctl(p3, SYNC_IOC_MERGE, &bad) == -1 && errno == ENOENT);
	bad.fd2 = fb;
	bad.flags = 1;
	CHECK(ioctl(p3, SYNC_IOC_MERGE, &bad) == -1 && errno == EINVAL);
	info = (struct sync_file_info){ .flags = 1 };
	CHECK(ioctl(p3, SYNC_IOC_FILE_INFO, &info) == -1 && errno == EINVAL);
	close(m.fence);
	close(fb);
	close(p3);
	close(fd);
}

static void eventfd_under_epoll(void)
{
	int fd = open_render();
	__u32 tl = syncobj_create(fd, 0);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(efd >= 0 && ep >= 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 }, out;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	struct drm_syncobj_eventfd e = { .handle = tl, .point = 2, .fd = efd };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == 0);
	syncobj_timeline_signal(fd, tl, 1);
	CHECK(epoll_wait(ep, &out, 1, 0) == 0); /* point 1 is not point 2 */
	syncobj_timeline_signal(fd, tl, 2);
	CHECK(epoll_wait(ep, &out, 1, GENEROUS_MS) == 1 && out.data.u32 == 42);
	uint64_t v = 0;
	CHECK(read(efd, &v, 8) == 8 && v == 1);
	/* Errnos: flags, pad, handle, descriptor. */
	e = (struct drm_syncobj_eventfd){ .handle = tl, .fd = efd, .flags = 2 };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == -1 && errno == EINVAL);
	e = (struct drm_syncobj_eventfd){ .handle = tl, .fd = efd, .pad = 1 };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == -1 && errno == EINVAL);
	e = (struct drm_syncobj_eventfd){ .handle = 999, .fd = efd };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == -1 && errno == ENOENT);
	e = (struct drm_syncobj_eventfd){ .handle = tl, .fd = -1 };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == -1 && errno == EBADF);
	e = (struct drm_syncobj_eventfd){ .handle = tl, .fd = ep };
	CHECK(ioctl(fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &e) == -1 && errno == EINVAL);
	close(ep);
	close(efd);
	close(fd);
}

static void dma_buf_sync_files(void)
{
	int fd = open_render();
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	struct drm_prime_handle ph = { .handle = bo.handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	CHECK(ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0);
	int buf = ph.fd;
	/* No implicit fences: a signalled stub. */
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };
	CHECK(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) == 0);
	CHECK(readable_within(ex.fd, GENEROUS_MS));
	CHECK(sync_file_status(ex.fd, NULL) == 1);
	ex.flags = 0;
	CHECK(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) == -1 && errno == EINVAL);
	ex.flags = DMA_BUF_SYNC_READ | 8;
	CHECK(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) == -1 && errno == EINVAL);
	/* Import a syncobj's fence as a write and read it back as what a reader waits for. */
	__u32 s = syncobj_create(fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	int sync = syncobj_to_fd(fd, s, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(sync >= 0);
	struct dma_buf_import_sync_file im = { .flags = DMA_BUF_SYNC_WRITE, .fd = sync };
	CHECK(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im) == 0);
	im.fd = fd;
	CHECK(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im) == -1 && errno == EINVAL);
	im = (struct dma_buf_import_sync_file){ .flags = 0, .fd = sync };
	CHECK(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im) == -1 && errno == EINVAL);
	struct dma_buf_export_sync_file rd = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	CHECK(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &rd) == 0);
	CHECK(readable_within(rd.fd, GENEROUS_MS) && sync_file_status(rd.fd, NULL) == 1);
	struct dma_buf_sync bs = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	CHECK(ioctl(buf, DMA_BUF_IOCTL_SYNC, &bs) == 0);
	bs.flags = DMA_BUF_SYNC_END;
	CHECK(ioctl(buf, DMA_BUF_IOCTL_SYNC, &bs) == -1 && errno == EINVAL);
	CHECK(ioctl(buf, DMA_BUF_SET_NAME_B, "wsi-scanout") == 0);
	/* A dup of the dma-buf is the same dma-buf. */
	int dup_buf = dup(buf);
	rd.fd = -1;
	CHECK(ioctl(dup_buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &rd) == 0 && rd.fd >= 0);
	close(rd.fd);
	close(dup_buf);
	close(sync);
	close(ex.fd);
	close(buf);
	close(fd);
}

static void fork_child_sees_foreign_descriptors(void)
{
	int fd = open_render();
	__u32 h = syncobj_create(fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	int sfd = syncobj_to_fd(fd, h, 0);
	int sync = syncobj_to_fd(fd, h, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
	CHECK(sfd >= 0 && sync >= 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int cfd = open_render();
		CHECK(syncobj_from_fd(cfd, sfd, 0, 0, NULL) == -EINVAL);
		__u32 ch = syncobj_create(cfd, 0);
		CHECK(syncobj_from_fd(cfd, sync, ch, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, NULL) == -EINVAL);
		/* The child's own syncobj files work. */
		int own = syncobj_to_fd(cfd, ch, 0);
		__u32 back;
		CHECK(own >= 0 && syncobj_from_fd(cfd, own, 0, 0, &back) == 0 && back != ch);
		_exit(0);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	__u32 again;
	CHECK(syncobj_from_fd(fd, sfd, 0, 0, &again) == 0);
	CHECK(readable_within(sync, GENEROUS_MS));
	close(sync);
	close(sfd);
	close(fd);
}

int main(void)
{
	shared_syncobj_between_card_and_render();
	timeline_point_export_and_merge();
	eventfd_under_epoll();
	dma_buf_sync_files();
	fork_child_sees_foreign_descriptors();
	printf("sync files ok\n");
	return 0;
}
