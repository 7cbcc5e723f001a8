/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The harness behind igt_lite.h: device discovery, the subtest loop and the Panthor helpers. */
#include "igt_lite.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void igt_report(struct igt_ctx *ctx, enum igt_result r, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: %s: ", file, line, r == IGT_SKIP ? "skip" : "check failed");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctx->result = r;
}

/* drm_open_driver(DRIVER_PANTHOR): the first /dev/dri/cardN (N < 16) that stats, opens and names itself panthor. */
static int open_panthor(void)
{
	for (int i = 0; i < 16; i++) {
		char path[32];
		struct stat st;
		drmVersionPtr v;
		bool ok;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		if (stat(path, &st))
			continue;
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		ok = v && v->name && strcmp(v->name, "panthor") == 0;
		drmFreeVersion(v);
		if (ok) {
			if (fstat(fd, &st) == 0)
				return fd;
		}
		close(fd);
	}
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int igt_main(int argc, char **argv, const struct igt_subtest *tests, size_t n)
{
	const char *only = NULL;
	const char *names[] = { "SUCCESS", "FAIL", "SKIP" };
	bool failed = false, ran = false;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list-subtests") == 0) {
			for (size_t t = 0; t < n; t++)
				printf("%s\n", tests[t].name);
			return 0;
		}
		if (strcmp(argv[i], "--run-subtest") == 0 && i + 1 < argc)
			only = argv[++i];
	}
	fd = open_panthor();
	if (fd < 0)
		fprintf(stderr, "No known gpu found for chipset flags (panthor)\n");
	else
		printf("Opened device: /dev/dri/card0\n");
	for (size_t t = 0; t < n; t++) {
		struct igt_ctx ctx = { .fd = fd, .result = IGT_SUCCESS };
		double start;

		if (only && strcmp(only, tests[t].name))
			continue;
		ran = true;
		printf("Starting subtest: %s\n", tests[t].name);
		fflush(stdout);
		start = now();
		if (fd < 0)
			ctx.result = IGT_SKIP;
		else
			tests[t].fn(&ctx);
		printf("Subtest %s: %s (%.3fs)\n", tests[t].name, names[ctx.result], now() - start);
		fflush(stdout);
		failed |= ctx.result == IGT_FAIL;
	}
	if (only && !ran) {
		fprintf(stderr, "Unknown subtest: %s\n", only);
		return 1;
	}
	if (fd >= 0) {
		drmVersionPtr v = drmGetVersion(fd);

		drmFreeVersion(v);
		close(fd);
	}
	if (fd < 0)
		return 77;
	return failed ? 1 : 0;
}

static int ioctl_errno(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? errno : 0;
}

int panthor_vm_create(int fd, uint32_t *id, uint64_t *user_va_range)
{
	struct drm_panthor_vm_create a = { 0 };
	int err = ioctl_errno(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &a);

	if (!err) {
		*id = a.id;
		if (user_va_range)
			*user_va_range = a.user_va_range;
	}
	return err;
}

int panthor_vm_destroy(int fd, uint32_t id)
{
	struct drm_panthor_vm_destroy a = { .id = id };

	return ioctl_errno(fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &a);
}

int panthor_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle, uint64_t *out_size)
{
	struct drm_panthor_bo_create a = { .size = size, .flags = flags };
	int err = ioctl_errno(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &a);

	if (!err) {
		*handle = a.handle;
		if (out_size)
			*out_size = a.size;
	}
	return err;
}

int panthor_bo_mmap_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_panthor_bo_mmap_offset a = { .handle = handle };
	int err = ioctl_errno(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &a);

	*offset = a.offset;
	return err;
}

int panthor_vm_bind(int fd, uint32_t vm, uint32_t flags, uint32_t bo, uint64_t va, uint64_t size, uint64_t bo_offset)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = flags, .bo_handle = bo, .bo_offset = bo_offset, .va = va, .size = size,
	};
	struct drm_panthor_vm_bind a = {
		.vm_id = vm,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uint64_t)(uintptr_t)&op },
	};

	return ioctl_errno(fd, DRM_IOCTL_PANTHOR_VM_BIND, &a);
}

int panthor_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close a = { .handle = handle };

	return ioctl_errno(fd, DRM_IOCTL_GEM_CLOSE, &a);
}
