// SPDX-License-Identifier: GPL-2.0-only OR MIT
#include "common.h"

int main(void)
{
	int fd = open_render();
	char name[16] = { 0 };
	struct drm_version v = { 0 };
	v.name_len = sizeof(name) - 1;
	v.name = name;
	CHECK(ioctl(fd, DRM_IOCTL_VERSION, &v) == 0);
	printf("%s %d.%d.%d\n", name, v.version_major, v.version_minor, v.version_patchlevel);
	CHECK(close(fd) == 0);
	return 0;
}
