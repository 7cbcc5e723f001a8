// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* chmod on the fake nodes, as IGT's core_setmaster does before dropping root: the owner (root, or a holder of
 * CAP_FOWNER) changes the permission bits and stat shows them; anyone else gets EPERM and nothing changes; a real
 * path still reaches libc. */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "common.h"

static unsigned int mode_of(const char *path)
{
	struct stat st;
	CHECK(stat(path, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	return st.st_mode & 07777;
}

int main(void)
{
	CHECK(mode_of("/dev/dri/card0") == 0666);
	if (geteuid() != 0) {
		/* Not the owner: refused, unchanged. */
		CHECK(chmod("/dev/dri/card0", 0600) == -1 && errno == EPERM);
		CHECK(mode_of("/dev/dri/card0") == 0666);
		printf("non-root ok\n");
		return 0;
	}
	CHECK(chmod("/dev/dri/card0", 0660) == 0);
	CHECK(mode_of("/dev/dri/card0") == 0660);
	CHECK(fchmodat(AT_FDCWD, "/dev/dri/../dri/card0", 0606, 0) == 0);
	CHECK(mode_of("/dev/dri/card0") == 0606);
	CHECK(mode_of("/dev/dri/renderD128") == 0666);

	/* A process that is neither fsuid 0 nor CAP_FOWNER is refused. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(chmod("/dev/dri/card0", 0666) == -1 && errno == EPERM && mode_of("/dev/dri/card0") == 0606 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Real files are untouched by the shim. */
	char tmp[] = "/tmp/tyr-chmod-XXXXXX";
	int fd = mkstemp(tmp);
	CHECK(fd >= 0);
	CHECK(chmod(tmp, 0640) == 0);
	struct stat st;
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 07777) == 0640);
	close(fd);
	unlink(tmp);
	printf("root ok\n");
	return 0;
}
