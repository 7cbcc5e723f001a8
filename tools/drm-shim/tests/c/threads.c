// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Threads issuing ioctls at once, on one shared descriptor and on descriptors of their own. */
#include "common.h"
#include <pthread.h>

#define THREADS 8
#define ROUNDS 100

static int shared_fd;

static void *worker(void *arg)
{
	int own = (int)(long)arg % 2 ? open_render() : -1;
	for (int i = 0; i < ROUNDS; i++) {
		int fd = own >= 0 && i % 2 ? own : shared_fd;
		check_version(fd);
		struct drm_panthor_gpu_info gpu = { 0 };
		struct drm_panthor_dev_query q = {
			.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(gpu), .pointer = (__u64)(unsigned long)&gpu
		};
		CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q) == 0);
		CHECK(gpu.gpu_id >> 16 == 0xa867);
		struct drm_panthor_bo_create bo = { .size = 4096 };
		CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
		struct drm_gem_close gc = { .handle = bo.handle };
		CHECK(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc) == 0);
	}
	if (own >= 0)
		CHECK(close(own) == 0);
	return NULL;
}

int main(void)
{
	shared_fd = open_render();
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(close(shared_fd) == 0);
	puts("ok");
	return 0;
}
