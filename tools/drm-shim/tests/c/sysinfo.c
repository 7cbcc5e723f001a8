// SPDX-License-Identifier: GPL-2.0-only OR MIT
// What a program on the board learns about its RAM: sysinfo() and sysconf(_SC_PHYS_PAGES / _SC_AVPHYS_PAGES), once
// before any node is opened and once after. Prints the figures for the test to compare with the board's.
#include <sys/sysinfo.h>

#include "common.h"

static void show(const char *when)
{
	struct sysinfo si;
	memset(&si, 0xA5, sizeof(si));
	CHECK(sysinfo(&si) == 0);
	unsigned long long total = (unsigned long long)si.totalram * si.mem_unit;
	unsigned long long free_ = (unsigned long long)si.freeram * si.mem_unit;
	long page = sysconf(_SC_PAGESIZE);
	long phys = sysconf(_SC_PHYS_PAGES);
	long avphys = sysconf(_SC_AVPHYS_PAGES);
	CHECK(page > 0 && phys > 0 && avphys > 0);
	CHECK(free_ <= total);
	CHECK((unsigned long long)phys * page == total);
	CHECK((unsigned long long)avphys <= (unsigned long long)phys);
	CHECK(si.totalhigh == 0 && si.freehigh == 0);
	printf("%s totalram %llu free<=total phys_pages*page %llu\n", when, total, (unsigned long long)phys * page);
}

int main(void)
{
	show("before open:");
	int fd = open_render();
	show("after open:");
	CHECK(sysinfo(NULL) == -1 && errno == EFAULT);
	CHECK(close(fd) == 0);
	return 0;
}
