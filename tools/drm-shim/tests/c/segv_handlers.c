// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * A program's own SIGSEGV/SIGBUS handlers and the driver's user-copy fixup live together, set before or after the
 * first ioctl, with signal() or sigaction(): bad pointers stay EFAULT, a real crash still reaches the program's
 * handler, and restoring SIG_DFL (as IGT's crash handler does before re-raising) gives the default action back.
 *
 *   segv_handlers before|after|dfl
 */
#include <setjmp.h>
#include <signal.h>

#include "common.h"

static sigjmp_buf back;
static volatile sig_atomic_t caught;

static void on_segv(int sig)
{
	caught = sig;
	siglongjmp(back, 1);
}

static void bad_pointer_is_efault(int fd)
{
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO,
		.size = sizeof(struct drm_panthor_gpu_info),
		.pointer = 0x10,
	};
	CHECK(ioctl(fd, DRM_IOCTL_VERSION, (void *)0x10) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q) == -1 && errno == EFAULT);
	/* A read-only page as an in/out argument: the copy back out faults. */
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, ro) == -1 && errno == EFAULT);
	munmap(ro, 4096);
}

static void crash_reaches_handler(void)
{
	caught = 0;
	if (!sigsetjmp(back, 1))
		*(volatile int *)8 = 1;
	CHECK(caught == SIGSEGV);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "before";
	int fd;

	if (!strcmp(mode, "before")) {
		/* Handlers first (as IGT's igt_subtest_init does), then the device. */
		CHECK(signal(SIGSEGV, on_segv) != SIG_ERR);
		struct sigaction sa = { .sa_handler = on_segv };
		CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
		fd = open_render();
		bad_pointer_is_efault(fd);
		crash_reaches_handler();
	} else if (!strcmp(mode, "after")) {
		fd = open_render();
		bad_pointer_is_efault(fd);
		struct sigaction sa = { .sa_handler = on_segv }, old;
		CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
		CHECK(sigaction(SIGSEGV, NULL, &old) == 0 && old.sa_handler == on_segv);
		bad_pointer_is_efault(fd);
		crash_reaches_handler();
		CHECK(signal(SIGSEGV, SIG_DFL) == on_segv);
	} else {
		/* A handler, then SIG_DFL again: a crash is a crash (the test expects death by SIGSEGV). */
		fd = open_render();
		bad_pointer_is_efault(fd);
		CHECK(signal(SIGSEGV, on_segv) != SIG_ERR);
		CHECK(signal(SIGSEGV, SIG_DFL) == on_segv);
		bad_pointer_is_efault(fd);
		fflush(stdout);
		*(volatile int *)8 = 1;
		puts("survived");
		return 1;
	}
	close(fd);
	puts("ok");
	return 0;
}
