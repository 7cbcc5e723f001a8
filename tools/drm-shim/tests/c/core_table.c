// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Every DRM core ioctl number on real descriptors of renderD128, of card0 as the first opener (the master) and of
 * card0 as a second, unauthenticated opener; then the magic and master flow. Runs without CAP_SYS_ADMIN and
 * CAP_SYS_NICE (dropped from the effective set first), as an ordinary desktop client would; the last part takes
 * CAP_SYS_ADMIN back, when the process has it, for the root rules.
 */
#include "common.h"
#include <linux/capability.h>
#include <sys/syscall.h>

#define RAN (-1) /* past drm_ioctl_permit into a handler this client does not pin down: anything but EACCES */

struct row {
	unsigned nr;
	const char *name;
	int render, master, other; /* 0, an errno, or RAN */
};

/* Upstream's drm_ioctls[] for Panthor (no modesetting, no dumb_create), called with an all-zero argument. */
static const struct row table[] = {
	{ 0x00, "VERSION", 0, 0, 0 },
	{ 0x01, "GET_UNIQUE", EACCES, 0, 0 },
	{ 0x02, "GET_MAGIC", EACCES, 0, 0 },
	{ 0x05, "GET_CLIENT", EACCES, 0, 0 },
	{ 0x06, "GET_STATS", EACCES, 0, 0 },
	{ 0x07, "SET_VERSION", EACCES, EINVAL, EACCES },
	{ 0x09, "GEM_CLOSE", EINVAL, EINVAL, EINVAL },
	{ 0x0a, "GEM_FLINK", EACCES, ENOENT, EACCES },
	{ 0x0b, "GEM_OPEN", EACCES, ENOENT, EACCES },
	{ 0x0c, "GET_CAP", EOPNOTSUPP, EOPNOTSUPP, EOPNOTSUPP },
	{ 0x0d, "SET_CLIENT_CAP", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0x10, "SET_UNIQUE", EACCES, EACCES, EACCES },
	{ 0x11, "AUTH_MAGIC", EACCES, EINVAL, EACCES },
	{ 0x12, "BLOCK", EACCES, EACCES, EACCES },
	{ 0x13, "UNBLOCK", EACCES, EACCES, EACCES },
	{ 0x1e, "SET_MASTER", EACCES, 0, EACCES },
	{ 0x1f, "DROP_MASTER", EACCES, 0, EACCES },
	{ 0x27, "ADD_DRAW", EACCES, EACCES, EACCES },
	{ 0x28, "RM_DRAW", EACCES, EACCES, EACCES },
	{ 0x2c, "FINISH", EACCES, 0, EACCES },
	{ 0x2d, "PRIME_HANDLE_TO_FD", ENOENT, ENOENT, ENOENT },
	{ 0x2e, "PRIME_FD_TO_HANDLE", RAN, RAN, RAN },
	{ 0x3a, "WAIT_VBLANK", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0x3b, "CRTC_GET_SEQUENCE", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0x3c, "CRTC_QUEUE_SEQUENCE", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0x3f, "UPDATE_DRAW", EACCES, EACCES, EACCES },
	{ 0xa0, "MODE_GETRESOURCES", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xa1, "MODE_GETCRTC", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xa2, "MODE_SETCRTC", EACCES, EOPNOTSUPP, EACCES },
	{ 0xa3, "MODE_CURSOR", EACCES, EOPNOTSUPP, EACCES },
	{ 0xa4, "MODE_GETGAMMA", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xa5, "MODE_SETGAMMA", EACCES, EOPNOTSUPP, EACCES },
	{ 0xa6, "MODE_GETENCODER", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xa7, "MODE_GETCONNECTOR", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xa8, "MODE_ATTACHMODE", EACCES, 0, EACCES },
	{ 0xa9, "MODE_DETACHMODE", EACCES, 0, EACCES },
	{ 0xaa, "MODE_GETPROPERTY", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xab, "MODE_SETPROPERTY", EACCES, EOPNOTSUPP, EACCES },
	{ 0xac, "MODE_GETPROPBLOB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xad, "MODE_GETFB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xae, "MODE_ADDFB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xaf, "MODE_RMFB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xb0, "MODE_PAGE_FLIP", EACCES, EOPNOTSUPP, EACCES },
	{ 0xb1, "MODE_DIRTYFB", EACCES, EOPNOTSUPP, EACCES },
	{ 0xb2, "MODE_CREATE_DUMB", EACCES, ENOSYS, ENOSYS },
	{ 0xb3, "MODE_MAP_DUMB", EACCES, ENOSYS, ENOSYS },
	{ 0xb4, "MODE_DESTROY_DUMB", EACCES, ENOSYS, ENOSYS },
	{ 0xb5, "MODE_GETPLANERESOURCES", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xb6, "MODE_GETPLANE", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xb7, "MODE_SETPLANE", EACCES, EOPNOTSUPP, EACCES },
	{ 0xb8, "MODE_ADDFB2", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xb9, "MODE_OBJ_GETPROPERTIES", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xba, "MODE_OBJ_SETPROPERTY", EACCES, EOPNOTSUPP, EACCES },
	{ 0xbb, "MODE_CURSOR2", EACCES, EOPNOTSUPP, EACCES },
	{ 0xbc, "MODE_ATOMIC", EACCES, EOPNOTSUPP, EACCES },
	{ 0xbd, "MODE_CREATEPROPBLOB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xbe, "MODE_DESTROYPROPBLOB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xbf, "SYNCOBJ_CREATE", 0, 0, 0 },
	{ 0xc0, "SYNCOBJ_DESTROY", EINVAL, EINVAL, EINVAL },
	{ 0xc1, "SYNCOBJ_HANDLE_TO_FD", RAN, RAN, RAN },
	{ 0xc2, "SYNCOBJ_FD_TO_HANDLE", RAN, RAN, RAN },
	{ 0xc3, "SYNCOBJ_WAIT", RAN, RAN, RAN },
	{ 0xc4, "SYNCOBJ_RESET", EINVAL, EINVAL, EINVAL },
	{ 0xc5, "SYNCOBJ_SIGNAL", EINVAL, EINVAL, EINVAL },
	{ 0xc6, "MODE_CREATE_LEASE", EACCES, EOPNOTSUPP, EACCES },
	{ 0xc7, "MODE_LIST_LESSEES", EACCES, EOPNOTSUPP, EACCES },
	{ 0xc8, "MODE_GET_LEASE", EACCES, EOPNOTSUPP, EACCES },
	{ 0xc9, "MODE_REVOKE_LEASE", EACCES, EOPNOTSUPP, EACCES },
	{ 0xca, "SYNCOBJ_TIMELINE_WAIT", RAN, RAN, RAN },
	{ 0xcb, "SYNCOBJ_QUERY", EINVAL, EINVAL, EINVAL },
	{ 0xcc, "SYNCOBJ_TRANSFER", ENOENT, ENOENT, ENOENT },
	{ 0xcd, "SYNCOBJ_TIMELINE_SIGNAL", EINVAL, EINVAL, EINVAL },
	{ 0xce, "MODE_GETFB2", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xcf, "SYNCOBJ_EVENTFD", RAN, RAN, RAN },
	{ 0xd0, "MODE_CLOSEFB", EACCES, EOPNOTSUPP, EOPNOTSUPP },
	{ 0xd1, "SET_CLIENT_NAME", 0, 0, 0 },
	{ 0xd2, "GEM_CHANGE_HANDLE", EINVAL, EINVAL, EINVAL },
};

static int call(int fd, unsigned nr)
{
	unsigned long long buf[32] = { 0 };
	int r = ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, nr, 0), buf);
	return r == 0 ? 0 : errno;
}

static void expect(const char *who, unsigned nr, const char *name, int want, int got)
{
	int good = want == RAN ? got != EACCES : got == want;
	if (!good) {
		fprintf(stderr, "%s: %#04x %s gave %d (%s), want %d\n", who, nr, name, got, strerror(got), want);
		exit(1);
	}
}

static int set_caps(unsigned effective_lo)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective = effective_lo & d[0].permitted;
	return syscall(SYS_capset, &h, d);
}

static unsigned caps_lo(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	CHECK(syscall(SYS_capget, &h, d) == 0);
	return d[0].effective;
}

int main(void)
{
	unsigned initial = caps_lo();
	CHECK(set_caps(initial & ~((1u << CAP_SYS_ADMIN) | (1u << CAP_SYS_NICE))) == 0);

	int fds[3];
	fds[0] = open_render();
	fds[1] = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	fds[2] = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	CHECK(fds[1] >= 0 && fds[2] >= 0);
	const char *who[3] = { "renderD128", "card0 master", "card0 other" };

	size_t row = 0;
	for (unsigned nr = 0; nr < 0x100; nr++) {
		if (nr == DRM_COMMAND_BASE)
			nr = DRM_COMMAND_END;
		const struct row *r = row < sizeof(table) / sizeof(table[0]) && table[row].nr == nr ? &table[row++] : NULL;
		for (int i = 0; i < 3; i++) {
			int got = call(fds[i], nr);
			if (!r)
				expect(who[i], nr, "(no entry)", EINVAL, got);
			else
				expect(who[i], nr, r->name, i == 0 ? r->render : i == 1 ? r->master : r->other, got);
			if (nr == 0x1f && i == 1)
				CHECK(ioctl(fds[1], DRM_IOCTL_SET_MASTER, 0) == 0); /* was master: may take it back */
		}
	}
	CHECK(row == sizeof(table) / sizeof(table[0]));

	/* GET_CAP clears the value before the lookup. */
	struct drm_get_cap cap = { .capability = DRM_CAP_DUMB_BUFFER, .value = 99 };
	CHECK(ioctl(fds[0], DRM_IOCTL_GET_CAP, &cap) == -1 && errno == EOPNOTSUPP && cap.value == 0);
	cap.capability = DRM_CAP_SYNCOBJ_TIMELINE;
	CHECK(ioctl(fds[0], DRM_IOCTL_GET_CAP, &cap) == 0 && cap.value == 1);

	/* The magic flow: the second primary client authenticates through the master, then DRM_AUTH ioctls work. */
	struct drm_panthor_bo_create bo = { .size = 4096 };
	CHECK(ioctl(fds[1], DRM_IOCTL_PANTHOR_BO_CREATE, &bo) == 0);
	struct drm_gem_flink fl = { .handle = bo.handle };
	CHECK(ioctl(fds[1], DRM_IOCTL_GEM_FLINK, &fl) == 0 && fl.name != 0);
	struct drm_gem_open op = { .name = fl.name };
	CHECK(ioctl(fds[2], DRM_IOCTL_GEM_OPEN, &op) == -1 && errno == EACCES);
	struct drm_client cl = { .idx = 0 };
	CHECK(ioctl(fds[2], DRM_IOCTL_GET_CLIENT, &cl) == 0 && cl.auth == 0 && cl.pid == (unsigned long)getpid());
	struct drm_auth magic = { 0 };
	CHECK(ioctl(fds[2], DRM_IOCTL_GET_MAGIC, &magic) == 0 && magic.magic != 0);
	CHECK(ioctl(fds[2], DRM_IOCTL_AUTH_MAGIC, &magic) == -1 && errno == EACCES);
	CHECK(ioctl(fds[1], DRM_IOCTL_AUTH_MAGIC, &magic) == 0);
	CHECK(ioctl(fds[1], DRM_IOCTL_AUTH_MAGIC, &magic) == -1 && errno == EINVAL);
	CHECK(ioctl(fds[2], DRM_IOCTL_GET_CLIENT, &cl) == 0 && cl.auth == 1);
	CHECK(ioctl(fds[2], DRM_IOCTL_GEM_OPEN, &op) == 0 && op.size == 4096 && op.handle != 0);

	/* GET_UNIQUE is empty until the master's SET_VERSION 1.1+, then names the platform device. */
	char uniq[32] = { 0 };
	struct drm_unique u = { .unique_len = sizeof(uniq), .unique = uniq };
	CHECK(ioctl(fds[2], DRM_IOCTL_GET_UNIQUE, &u) == 0 && u.unique_len == 0);
	struct drm_set_version sv = { 1, 4, 1, 9 };
	CHECK(ioctl(fds[1], DRM_IOCTL_SET_VERSION, &sv) == 0);
	u.unique_len = sizeof(uniq);
	CHECK(ioctl(fds[2], DRM_IOCTL_GET_UNIQUE, &u) == 0 && u.unique_len == 12 && strcmp(uniq, "fb000000.gpu") == 0);

	/* Master rules: a file that never was master needs CAP_SYS_ADMIN; the former master may take it back. */
	CHECK(ioctl(fds[2], DRM_IOCTL_SET_MASTER, 0) == -1 && errno == EACCES);
	CHECK(ioctl(fds[1], DRM_IOCTL_DROP_MASTER, 0) == 0);
	CHECK(ioctl(fds[1], DRM_IOCTL_DROP_MASTER, 0) == -1 && errno == EINVAL);
	CHECK(ioctl(fds[2], DRM_IOCTL_SET_MASTER, 0) == -1 && errno == EACCES);
	CHECK(ioctl(fds[1], DRM_IOCTL_SET_MASTER, 0) == 0);

	/* With CAP_SYS_ADMIN (when the process has it): opened authenticated, and may take a free master. */
	if (initial & (1u << CAP_SYS_ADMIN)) {
		CHECK(set_caps(initial) == 0);
		int root = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
		CHECK(root >= 0);
		CHECK(ioctl(root, DRM_IOCTL_GET_CLIENT, &cl) == 0 && cl.auth == 1);
		CHECK(ioctl(root, DRM_IOCTL_SET_MASTER, 0) == -1 && errno == EBUSY);
		CHECK(ioctl(root, DRM_IOCTL_SET_UNIQUE, &u) == -1 && errno == EACCES); /* ROOT_ONLY, but also MASTER */
		CHECK(ioctl(fds[1], DRM_IOCTL_DROP_MASTER, 0) == 0);
		CHECK(ioctl(root, DRM_IOCTL_SET_MASTER, 0) == 0);
		CHECK(ioctl(root, DRM_IOCTL_SET_UNIQUE, &u) == -1 && errno == EINVAL); /* drm_invalid_op */
		struct drm_block blk = { 0 };
		CHECK(ioctl(root, DRM_IOCTL_BLOCK, &blk) == 0); /* drm_noop */
		/* capable() looks at the caller now: dropping CAP_SYS_ADMIN after the open loses ROOT_ONLY, but the
		 * file stays authenticated (decided at open). */
		CHECK(set_caps(initial & ~(1u << CAP_SYS_ADMIN)) == 0);
		CHECK(ioctl(root, DRM_IOCTL_BLOCK, &blk) == -1 && errno == EACCES);
		CHECK(ioctl(root, DRM_IOCTL_GET_CLIENT, &cl) == 0 && cl.auth == 1);
		CHECK(close(root) == 0);
		puts("root rules checked");
	}
	for (int i = 0; i < 3; i++)
		CHECK(close(fds[i]) == 0);
	/* The master closed with the others: the next primary opener is master again. */
	int again = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	CHECK(again >= 0);
	CHECK(ioctl(again, DRM_IOCTL_MODE_ATTACHMODE, &(struct drm_mode_mode_cmd){ 0 }) == 0);
	CHECK(close(again) == 0);
	puts("ok");
	return 0;
}
