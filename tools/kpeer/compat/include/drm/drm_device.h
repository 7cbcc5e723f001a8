/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* kpeer: the DRM device is only a name GPUVM passes to its warnings. */
#ifndef KPEER_DRM_DEVICE_H
#define KPEER_DRM_DEVICE_H
#include <kpeer_compat.h>
struct drm_device { int unused; };
#endif
