/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The GPU's power/ sysfs files as a user reads and writes them (cat, echo, stdio): live values from the driver,
 * writes with the kernel's semantics (the byte count, or -1 with errno), modes enforced. */
#include <time.h>
#include "common.h"

#define DEV "/sys/devices/platform/fb000000.gpu/power/"

/* `cat` in 3-byte reads (a show's text arrives over several reads); the read must succeed. */
static void cat(const char *name, char *out, size_t len)
{
	CHECK(sysfs_cat(DEV, name, out, len, 3) == 0);
}

static ssize_t echo(const char *name, const char *s)
{
	return sysfs_echo(DEV, name, s);
}

/* Polls runtime_status until it reads `want` (5 s at most): sysfs offers no notification for it. */
static int wait_status(const char *want)
{
	char buf[64];
	for (int i = 0; i < 1000; i++) {
		cat("runtime_status", buf, sizeof(buf));
		if (strcmp(buf, want) == 0)
			return 1;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int main(void)
{
	char buf[256];
	struct stat st;

	/* The files exist and carry their modes before anything opened the device. */
	CHECK(stat(DEV "control", &st) == 0);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
	CHECK(stat(DEV "runtime_status", &st) == 0);
	CHECK((st.st_mode & 0777) == 0444);
	CHECK(access(DEV "runtime_status", W_OK) == -1 && errno == EACCES);
	CHECK(access(DEV "control", W_OK) == 0);
	CHECK(open(DEV "runtime_status", O_WRONLY) == -1 && errno == EACCES);
	CHECK(open(DEV "nonexistent", O_RDONLY) == -1 && errno == ENOENT);

	/* Idle, the GPU suspends by itself after the autosuspend delay. */
	cat("autosuspend_delay_ms", buf, sizeof(buf));
	printf("autosuspend_delay_ms %s", buf);
	CHECK(wait_status("suspended\n"));
	printf("idle: suspended\n");

	/* control: "on" keeps it up (and resumes it at once), "auto" lets it sleep, anything else is EINVAL. */
	cat("control", buf, sizeof(buf));
	printf("control %s", buf);
	CHECK(echo("control", "on\n") == 3);
	cat("runtime_status", buf, sizeof(buf));
	printf("after on: %s", buf);
	/* control's reference, and possibly the scheduler worker's for the round it is in. */
	cat("runtime_usage", buf, sizeof(buf));
	CHECK(!strcmp(buf, "1\n") || !strcmp(buf, "2\n"));
	printf("usage held\n");
	CHECK(echo("control", "off") == -1 && errno == EINVAL);
	CHECK(echo("control", "auto\nx") == -1 && errno == EINVAL);
	CHECK(echo("control", "") == 0);
	cat("control", buf, sizeof(buf));
	printf("control %s", buf);

	/* autosuspend_delay_ms takes a decimal int. */
	CHECK(echo("autosuspend_delay_ms", "abc") == -1 && errno == EINVAL);
	CHECK(echo("autosuspend_delay_ms", "4294967296") == -1 && errno == EINVAL);
	CHECK(echo("autosuspend_delay_ms", "20\n") == 3);
	cat("autosuspend_delay_ms", buf, sizeof(buf));
	printf("autosuspend_delay_ms %s", buf);

	/* stdio: fputs + fclose writes, fgets reads. */
	FILE *f = fopen(DEV "control", "w");
	CHECK(f != NULL);
	CHECK(fputs("auto", f) >= 0);
	CHECK(fclose(f) == 0);
	CHECK(wait_status("suspended\n"));
	f = fopen(DEV "runtime_status", "r");
	CHECK(f != NULL);
	CHECK(fgets(buf, sizeof(buf), f) != NULL);
	CHECK(fclose(f) == 0);
	printf("after auto: %s", buf);
	f = fopen(DEV "control", "w");
	CHECK(f != NULL);
	CHECK(fputs("sometimes", f) >= 0);
	CHECK(fclose(f) == EOF && errno == EINVAL);

	/* One open: EOF after the text, lseek(0) shows it again; SEEK_END is EINVAL. */
	int fd = open(DEV "runtime_enabled", O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(read(fd, buf, sizeof(buf)) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read(fd, buf, sizeof(buf)) == n);
	buf[n] = 0;
	printf("runtime_enabled %s", buf);
	CHECK(lseek(fd, 0, SEEK_END) == -1 && errno == EINVAL);
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0444 && st.st_size == 4096);
	CHECK(close(fd) == 0);

	/* Time accounting in whole milliseconds: the GPU was active for at least the first autosuspend delay (50 ms). */
	char *end;
	cat("runtime_suspended_time", buf, sizeof(buf));
	strtoul(buf, &end, 10);
	CHECK(end != buf && strcmp(end, "\n") == 0);
	cat("runtime_active_time", buf, sizeof(buf));
	CHECK(strtoul(buf, &end, 10) >= 50 && strcmp(end, "\n") == 0);
	printf("ok\n");
	return 0;
}
