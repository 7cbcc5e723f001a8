/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The vm_bind benchmark's C client: what an unmodified program pays for VM_BIND through the drm-shim
 * (LD_PRELOAD=libtyr_drm_shim.so), the same workload the benchmark times through `File::ioctl`.
 *
 *   vm_bind_client SIZE ITERS RUNS
 *
 * opens the render node, creates a VM and a BO of SIZE bytes, then RUNS times maps the whole BO at 1 GiB and
 * unmaps it again ITERS times with synchronous VM_BIND ioctls (one op each), and prints the best run as
 * `ns_per_iter=<ns>`. Any failed ioctl exits 1 with the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <drm/drm.h>
#include <drm/panthor_drm.h>

static void call(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) != 0) {
		fprintf(stderr, "vm_bind_client: %s: errno %d (%s)\n", what, errno, strerror(errno));
		exit(1);
	}
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: vm_bind_client SIZE ITERS RUNS\n");
		return 2;
	}
	uint64_t size = strtoull(argv[1], NULL, 0);
	long iters = strtol(argv[2], NULL, 0);
	long runs = strtol(argv[3], NULL, 0);
	if (size == 0 || iters <= 0 || runs <= 0) {
		fprintf(stderr, "vm_bind_client: SIZE, ITERS and RUNS must be positive\n");
		return 2;
	}

	int fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vm_bind_client: open renderD128: errno %d (%s)\n", errno, strerror(errno));
		return 1;
	}
	struct drm_panthor_vm_create vc = { 0 };
	call(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vc, "VM_CREATE");
	struct drm_panthor_bo_create bc = { .size = size };
	call(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bc, "BO_CREATE");

	const uint64_t va = 0x40000000;
	struct drm_panthor_vm_bind_op map = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP,
		.bo_handle = bc.handle,
		.va = va,
		.size = size,
	};
	struct drm_panthor_vm_bind_op unmap = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP,
		.va = va,
		.size = size,
	};
	struct drm_panthor_vm_bind m = {
		.vm_id = vc.id,
		.ops = { .stride = sizeof(map), .count = 1, .array = (uintptr_t)&map },
	};
	struct drm_panthor_vm_bind u = {
		.vm_id = vc.id,
		.ops = { .stride = sizeof(unmap), .count = 1, .array = (uintptr_t)&unmap },
	};

	double best = 0;
	for (long r = 0; r < runs; r++) {
		double t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			call(fd, DRM_IOCTL_PANTHOR_VM_BIND, &m, "VM_BIND map");
			call(fd, DRM_IOCTL_PANTHOR_VM_BIND, &u, "VM_BIND unmap");
		}
		double per = (now_ns() - t0) / (double)iters;
		if (r == 0 || per < best)
			best = per;
	}
	printf("ns_per_iter=%.1f\n", best);
	close(fd);
	return 0;
}
