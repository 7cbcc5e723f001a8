/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * kpeer: the C interface the Rust crate tyr-kpeer binds to. The kernel's io-pgtable-arm.c and drm_gpuvm.c do the
 * work; these functions only set them up as Panthor does and drive them.
 */
#ifndef KPEER_H
#define KPEER_H

#include <stddef.h>
#include <stdint.h>

/* ---- memory ---- */

/* A page allocator for table pages: a slice of one reserved region (so __pa/__va are a fixed offset, as in the
 * kernel's linear map), freed pages reused last-in first-out. */
struct kpeer_pool;
struct kpeer_pool *kpeer_pool_new(size_t bytes);
void kpeer_pool_free(struct kpeer_pool *pool);
/* Pages handed out and not freed. */
size_t kpeer_pool_pages_live(const struct kpeer_pool *pool);

/* Live bytes kmalloc'd by the peer (malloc_usable_size of each live allocation), process-wide. */
int64_t kpeer_heap_bytes(void);
/* WARN_ONs fired so far, process-wide. */
unsigned long kpeer_warn_count(void);

/* ---- io-pgtable: ARM_64_LPAE_S1 configured as Panthor configures it on RK3588 ---- */
struct kpeer_pgtable;
struct kpeer_pgtable *kpeer_pgtable_new(struct kpeer_pool *pool, unsigned int ias, unsigned int oas, int coherent);
void kpeer_pgtable_free(struct kpeer_pgtable *pt);
int kpeer_pgtable_map_pages(struct kpeer_pgtable *pt, uint64_t iova, uint64_t paddr, size_t pgsize, size_t pgcount,
			    int prot, size_t *mapped);
size_t kpeer_pgtable_unmap_pages(struct kpeer_pgtable *pt, uint64_t iova, size_t pgsize, size_t pgcount);
uint64_t kpeer_pgtable_iova_to_phys(struct kpeer_pgtable *pt, uint64_t iova);
/* Calls fn(ctx, level, iova, pte) for every leaf in address order. */
typedef void (*kpeer_leaf_fn)(void *ctx, int level, uint64_t iova, uint64_t pte);
void kpeer_pgtable_for_each_leaf(struct kpeer_pgtable *pt, kpeer_leaf_fn fn, void *ctx);
/* Table pages in use (the pgd included). */
size_t kpeer_pgtable_tables_live(const struct kpeer_pgtable *pt);

/* ---- GPUVM driven as Panthor drives it ---- */
struct kpeer_gpuvm;
struct kpeer_steps {
	uint64_t map, remap, unmap;
};
struct kpeer_gpuvm *kpeer_gpuvm_new(uint64_t start, uint64_t range, uint64_t reserve_offset, uint64_t reserve_range);
void kpeer_gpuvm_free(struct kpeer_gpuvm *vm);
/* obj < 0: a null mapping. 0 or a negative errno. */
int kpeer_gpuvm_map(struct kpeer_gpuvm *vm, uint64_t addr, uint64_t range, int64_t obj, uint64_t offset);
int kpeer_gpuvm_unmap(struct kpeer_gpuvm *vm, uint64_t addr, uint64_t range);
/* Steps handed to the driver so far. */
struct kpeer_steps kpeer_gpuvm_steps(const struct kpeer_gpuvm *vm);
size_t kpeer_gpuvm_num_vas(const struct kpeer_gpuvm *vm);
/* Calls fn(ctx, addr, range, obj, offset) for every VA in address order (obj -1: a null mapping). */
typedef void (*kpeer_va_fn)(void *ctx, uint64_t addr, uint64_t range, int64_t obj, uint64_t offset);
void kpeer_gpuvm_for_each_va(const struct kpeer_gpuvm *vm, kpeer_va_fn fn, void *ctx);

#endif
