/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* kpeer: the dma_resv shape drm_gpuvm.c uses; one thread, so the lock is always free and "held". */
#ifndef KPEER_DMA_RESV_H
#define KPEER_DMA_RESV_H
#include <kpeer_compat.h>

struct dma_fence { int unused; };
struct ww_acquire_ctx { int unused; };
struct dma_resv { int unused; };

enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

#define dma_resv_held(obj) ((void)(obj), true)
#define dma_resv_assert_held(obj) ((void)(obj))
static inline void dma_resv_init(struct dma_resv *r) { (void)r; }
static inline void dma_resv_fini(struct dma_resv *r) { (void)r; }
static inline int dma_resv_lock(struct dma_resv *r, struct ww_acquire_ctx *c) { (void)r; (void)c; return 0; }
static inline void dma_resv_unlock(struct dma_resv *r) { (void)r; }
static inline int dma_resv_reserve_fences(struct dma_resv *r, unsigned int n) { (void)r; (void)n; return 0; }
static inline void dma_resv_add_fence(struct dma_resv *r, struct dma_fence *f, enum dma_resv_usage u)
{
	(void)r; (void)f; (void)u;
}
#endif
