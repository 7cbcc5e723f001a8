// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kpeer memory: kmalloc and friends on malloc, counting live bytes; the table-page pool (one reserved region carved
 * into per-pool slices, so that the linear-map offset is one constant); the WARN counter.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <kpeer_compat.h>
#include "kpeer.h"

unsigned long kpeer_warnings;
static int64_t heap_live;

unsigned long kpeer_warn_count(void) { return __atomic_load_n(&kpeer_warnings, __ATOMIC_RELAXED); }
int64_t kpeer_heap_bytes(void) { return __atomic_load_n(&heap_live, __ATOMIC_RELAXED); }

void *kmalloc(size_t size, gfp_t gfp)
{
	void *p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p)
		__atomic_fetch_add(&heap_live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
	return p;
}

void *kzalloc(size_t size, gfp_t gfp) { return kmalloc(size, gfp | __GFP_ZERO); }

void kfree(const void *p)
{
	if (!p)
		return;
	__atomic_fetch_sub(&heap_live, (int64_t)malloc_usable_size((void *)p), __ATOMIC_RELAXED);
	free((void *)p);
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc(len, gfp);
	if (p)
		memcpy(p, src, len);
	return p;
}

void *kpeer_krealloc_array(void *p, size_t n, size_t size)
{
	size_t bytes, old = p ? malloc_usable_size(p) : 0;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	void *q = realloc(p, bytes ? bytes : 1);
	if (q)
		__atomic_fetch_add(&heap_live, (int64_t)malloc_usable_size(q) - (int64_t)old, __ATOMIC_RELAXED);
	return q;
}

/*
 * The region every pool is a slice of, reserved once (no memory is committed until a page is touched). Its
 * "physical" base is REGION_PHYS, so table addresses fit the 40-bit output size Panthor configures.
 */
#define REGION_BYTES (64ULL << 30)
#define REGION_PHYS (1ULL << 32)
uintptr_t kpeer_linear_offset;
static uint8_t *region;
static size_t region_used;
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;

struct free_page {
	struct free_page *next;
};

struct kpeer_pool {
	uint8_t *base;
	/* The slice's size, and what this pool may use of it. */
	size_t slice;
	size_t bytes;
	size_t used;
	struct free_page *free;
	size_t live;
	/* Slices of freed pools, reused (returned to the OS first, so a new pool starts cold). */
	struct kpeer_pool *next_spare;
};

static struct kpeer_pool *spare_pools;

struct kpeer_pool *kpeer_pool_new(size_t bytes)
{
	struct kpeer_pool *pool = NULL;
	bytes = ALIGN(bytes, (size_t)SZ_2M);
	pthread_mutex_lock(&region_lock);
	for (struct kpeer_pool **pp = &spare_pools; *pp; pp = &(*pp)->next_spare) {
		if ((*pp)->slice >= bytes) {
			pool = *pp;
			*pp = pool->next_spare;
			break;
		}
	}
	if (!pool) {
		if (!region) {
			void *r = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (r != MAP_FAILED) {
				region = r;
				kpeer_linear_offset = (uintptr_t)region - REGION_PHYS;
			}
		}
		if (region && bytes <= REGION_BYTES - region_used) {
			pool = calloc(1, sizeof(*pool));
			if (pool) {
				pool->base = region + region_used;
				pool->slice = bytes;
				region_used += bytes;
			}
		}
	}
	pthread_mutex_unlock(&region_lock);
	if (pool) {
		pool->bytes = bytes;
		pool->used = 0;
		pool->free = NULL;
		pool->live = 0;
		pool->next_spare = NULL;
	}
	return pool;
}

void kpeer_pool_free(struct kpeer_pool *pool)
{
	if (!pool)
		return;
	madvise(pool->base, pool->used, MADV_DONTNEED);
	pthread_mutex_lock(&region_lock);
	pool->next_spare = spare_pools;
	spare_pools = pool;
	pthread_mutex_unlock(&region_lock);
}

size_t kpeer_pool_pages_live(const struct kpeer_pool *pool) { return pool->live; }

/* A zeroed page: the most recently freed one if any (hot, as the kernel's per-CPU page lists hand out), else the
 * next untouched one. */
void *kpeer_pool_alloc_page(struct kpeer_pool *pool)
{
	void *p;
	if (pool->free) {
		p = pool->free;
		pool->free = pool->free->next;
	} else if (pool->used + PAGE_SIZE <= pool->bytes) {
		p = pool->base + pool->used;
		pool->used += PAGE_SIZE;
	} else {
		return NULL;
	}
	memset(p, 0, PAGE_SIZE);
	pool->live++;
	return p;
}

void kpeer_pool_free_page(struct kpeer_pool *pool, void *p)
{
	struct free_page *f = p;
	f->next = pool->free;
	pool->free = f;
	pool->live--;
}

/* io-pgtable's own allocator path is unused (the peer passes cfg->alloc as Panthor does); nothing to give. */
void *iommu_alloc_pages_node(int nid, gfp_t gfp, int order)
{
	(void)nid; (void)gfp; (void)order;
	return NULL;
}

void iommu_free_pages(void *virt, int order) { (void)virt; (void)order; }
