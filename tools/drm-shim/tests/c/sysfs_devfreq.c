/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The GPU's devfreq files as a user reads and writes them, through the devfreq class link: the OPP table, governor
 * changes taking effect on the clock at once, max_freq clamping, trans_stat and its reset, modes, bad writes. */
#include "common.h"

#define DEV "/sys/class/devfreq/fb000000.gpu/"

static int cat(const char *name, char *out, size_t len)
{
	return sysfs_cat(DEV, name, out, len, len);
}

static ssize_t echo(const char *name, const char *s)
{
	return sysfs_echo(DEV, name, s);
}

int main(void)
{
	char buf[4096];

	CHECK(cat("name", buf, sizeof(buf)) == 0);
	printf("name %s", buf);
	CHECK(cat("governor", buf, sizeof(buf)) == 0);
	printf("governor %s", buf);
	CHECK(cat("available_frequencies", buf, sizeof(buf)) == 0);
	printf("available %s", buf);

	/* performance: the clock goes to the top OPP when the governor is set. */
	CHECK(echo("governor", "performance\n") == 12);
	CHECK(cat("cur_freq", buf, sizeof(buf)) == 0);
	printf("performance cur_freq %s", buf);
	/* A lower max_freq clamps it at once. */
	CHECK(echo("max_freq", "500000000") == 9);
	CHECK(cat("cur_freq", buf, sizeof(buf)) == 0);
	printf("max 500 MHz cur_freq %s", buf);
	CHECK(echo("max_freq", "0") == 1);

	/* userspace: set_freq exists with it and picks the OPP. */
	CHECK(cat("userspace/set_freq", buf, sizeof(buf)) == -1 && errno == ENOENT);
	CHECK(echo("governor", "userspace") == 9);
	CHECK(echo("userspace/set_freq", "400000000") == 9);
	CHECK(cat("cur_freq", buf, sizeof(buf)) == 0);
	printf("userspace cur_freq %s", buf);

	/* Bad writes are errnos and change nothing. */
	CHECK(echo("governor", "no_such_governor") == -1 && errno == EINVAL);
	CHECK(echo("min_freq", "fast") == -1 && errno == EINVAL);
	CHECK(echo("cur_freq", "1") == -1 && errno == EACCES);
	CHECK(cat("governor", buf, sizeof(buf)) == 0);
	printf("still %s", buf);

	/* trans_stat counts the transitions above; writing 0 resets it. */
	CHECK(cat("trans_stat", buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "Total transition : 0") == NULL);
	CHECK(echo("trans_stat", "0") == 1);
	CHECK(cat("trans_stat", buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "Total transition : 0") != NULL);
	CHECK(echo("governor", "simple_ondemand") == 15);
	puts("ok");
	return 0;
}
