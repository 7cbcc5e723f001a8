/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* kpeer: one compatibility header for every kernel header of this name (see kpeer_compat.h). */
#include <kpeer_compat.h>
