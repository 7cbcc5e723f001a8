/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The userspace stand-ins the kernel's drm_gpuvm.c, io-pgtable-arm.c and lib/rbtree.c need to build and run as a
 * single-threaded library inside a benchmark process. Written for this project from the kernel's documented
 * interfaces: every name below is one those files call, with the behaviour a single thread can observe (locks are
 * no-ops, WARN counts, kmalloc is malloc and counts its bytes, pages come from kpeer's page pool). Nothing here is
 * taken from the kernel's own implementation.
 */
#ifndef KPEER_COMPAT_H
#define KPEER_COMPAT_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- types ---- */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned int gfp_t;
typedef struct { int counter; } atomic_t;

/* ---- compiler ---- */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#undef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __must_check __attribute__((__warn_unused_result__))
#define __maybe_unused __attribute__((__unused__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __packed __attribute__((__packed__))
#define fallthrough __attribute__((__fallthrough__))
#define __init
#define __initdata
#define __initconst
#define __exit
#define __rcu
#define __force
#define barrier() __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)
#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))

/* ---- container_of, sizes, bits ---- */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))
#define min_not_zero(a, b) ({ __typeof__(a) _x = (a); __typeof__(b) _y = (b); _x == 0 ? _y : (_y == 0 ? _x : min(_x, _y)); })
#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define GENMASK(h, l) ((~0UL << (l)) & (~0UL >> (63 - (h))))
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define IS_ENABLED(option) 0
#define ilog2(n) ((int)(63 - __builtin_clzll((unsigned long long)(n))))
#define is_power_of_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))
static inline unsigned long __ffs(unsigned long w) { return (unsigned long)__builtin_ctzl(w); }
static inline unsigned long __fls(unsigned long w) { return 63UL - (unsigned long)__builtin_clzl(w); }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline void set_bit(long nr, volatile unsigned long *addr) { addr[nr / 64] |= 1UL << (nr % 64); }

#define SZ_4K 0x00001000
#define SZ_16K 0x00004000
#define SZ_64K 0x00010000
#define SZ_2M 0x00200000
#define SZ_32M 0x02000000
#define SZ_512M 0x20000000
#define SZ_1G 0x40000000
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

/* ---- error pointers ---- */
#define MAX_ERRNO 4095
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO; }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* ---- modules, exports, printing, warnings ---- */
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_DESCRIPTION(s)
#define MODULE_LICENSE(s)
#define subsys_initcall(fn)
#define module_init(fn)

/* How many WARN_ONs fired (tests check it stays 0 for valid input). */
extern unsigned long kpeer_warnings;
static inline bool kpeer_warn(bool cond)
{
	if (unlikely(cond))
		__atomic_fetch_add(&kpeer_warnings, 1, __ATOMIC_RELAXED);
	return cond;
}
#define WARN_ON(cond) kpeer_warn(!!(cond))
#define WARN_ON_ONCE(cond) kpeer_warn(!!(cond))
#define WARN(cond, ...) kpeer_warn(!!(cond))
#define WARN_ONCE(cond, ...) kpeer_warn(!!(cond))
#define BUG_ON(cond) ((void)kpeer_warn(!!(cond)))
#define VM_BUG_ON(cond) ((void)kpeer_warn(!!(cond)))
#define drm_WARN(drm, cond, ...) ((void)(drm), kpeer_warn(!!(cond)))
#define drm_WARN_ON(drm, cond) ((void)(drm), kpeer_warn(!!(cond)))
#define drm_WARN_ON_ONCE(drm, cond) ((void)(drm), kpeer_warn(!!(cond)))
/* The peer is silent: its messages would only disturb the benchmark output. */
static inline __printf(1, 2) void kpeer_no_print(const char *fmt, ...) { (void)fmt; }
#define pr_err(...) kpeer_no_print(__VA_ARGS__)
#define pr_warn(...) kpeer_no_print(__VA_ARGS__)
#define pr_info(...) kpeer_no_print(__VA_ARGS__)
#define pr_debug(...) kpeer_no_print(__VA_ARGS__)
#define dev_err(dev, ...) kpeer_no_print(__VA_ARGS__)
#define dev_warn(dev, ...) kpeer_no_print(__VA_ARGS__)

/* ---- RCU (a single thread: plain stores and loads) ---- */
#define rcu_assign_pointer(p, v) WRITE_ONCE(p, v)
#define RCU_INIT_POINTER(p, v) ((p) = (v))
#define rcu_dereference_raw(p) READ_ONCE(p)
#define rcu_dereference(p) READ_ONCE(p)

/* ---- barriers and atomics (one thread, coherent memory) ---- */
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define dma_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define cmpxchg64_relaxed(ptr, old, new) \
	({ __typeof__(*(ptr)) _o = (old); __atomic_compare_exchange_n(ptr, &_o, new, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); _o; })
#define cmpxchg_relaxed cmpxchg64_relaxed

/* ---- locking: one thread, so every lock is free and always "held" ---- */
typedef struct { int unused; } spinlock_t;
struct mutex { int unused; };
struct lockdep_map { int unused; };
#define spin_lock_init(l) ((void)(l))
#define spin_lock(l) ((void)(l))
#define spin_unlock(l) ((void)(l))
#define mutex_init(l) ((void)(l))
#define mutex_lock(l) ((void)(l))
#define mutex_unlock(l) ((void)(l))
#define lockdep_assert_held(l) ((void)(l))
#define lockdep_assert(c) ((void)0)
#define might_sleep() ((void)0)

/* ---- kref ---- */
struct kref { unsigned int refcount; };
static inline void kref_init(struct kref *k) { k->refcount = 1; }
static inline void kref_get(struct kref *k) { k->refcount++; }
static inline bool kref_get_unless_zero(struct kref *k)
{
	if (!k->refcount)
		return false;
	k->refcount++;
	return true;
}
static inline int kref_put(struct kref *k, void (*release)(struct kref *))
{
	if (--k->refcount == 0) {
		release(k);
		return 1;
	}
	return 0;
}

/* ---- slab: malloc, counting the live bytes (malloc_usable_size) ---- */
#define GFP_KERNEL 0x1u
#define GFP_ATOMIC 0x2u
#define GFP_NOWAIT 0x4u
#define __GFP_ZERO 0x100u
#define __GFP_HIGHMEM 0x200u
#define __GFP_NOWARN 0x400u
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *p);
void *kmemdup(const void *src, size_t len, gfp_t gfp);
static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, gfp);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t gfp) { return kmalloc_array(n, size, gfp | __GFP_ZERO); }
static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp) { return kmalloc_array(n, size, gfp); }
#define kvfree kfree
#define krealloc_array(p, n, s, gfp) kpeer_krealloc_array(p, n, s)
void *kpeer_krealloc_array(void *p, size_t n, size_t size);

/* ---- the linear map: kpeer's page pool sits at a fixed "physical" base ---- */
extern uintptr_t kpeer_linear_offset;
#define __pa(v) ((phys_addr_t)((uintptr_t)(v) - kpeer_linear_offset))
#define __va(p) ((void *)((uintptr_t)(p) + kpeer_linear_offset))
#define virt_to_phys(v) __pa(v)
#define phys_to_virt(p) __va(p)
static inline int get_order(unsigned long size)
{
	return size <= PAGE_SIZE ? 0 : ilog2((size - 1) >> PAGE_SHIFT) + 1;
}
#define NUMA_NO_NODE (-1)
struct device { int unused; };
#define dev_to_node(dev) NUMA_NO_NODE

/* ---- DMA: the walk is non-coherent as Panthor configures RK3588, and cache maintenance is a no-op here ---- */
enum dma_data_direction { DMA_BIDIRECTIONAL = 0, DMA_TO_DEVICE = 1, DMA_FROM_DEVICE = 2 };
static inline dma_addr_t dma_map_single(struct device *dev, void *p, size_t s, enum dma_data_direction d)
{
	(void)dev; (void)s; (void)d;
	return (dma_addr_t)__pa(p);
}
static inline int dma_mapping_error(struct device *dev, dma_addr_t a) { (void)dev; (void)a; return 0; }
static inline void dma_unmap_single(struct device *dev, dma_addr_t a, size_t s, enum dma_data_direction d)
{
	(void)dev; (void)a; (void)s; (void)d;
}
static inline void dma_sync_single_for_device(struct device *dev, dma_addr_t a, size_t s, enum dma_data_direction d)
{
	(void)dev; (void)a; (void)s; (void)d;
}

/* ---- IOMMU core shapes io-pgtable.h refers to ---- */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#define IOMMU_CACHE (1 << 2)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_MMIO (1 << 4)
#define IOMMU_PRIV (1 << 5)
struct iommu_iotlb_gather { unsigned long start, end; size_t pgsize; bool queued; };
static inline bool iommu_iotlb_gather_queued(struct iommu_iotlb_gather *g) { return g && g->queued; }
struct iommu_dirty_bitmap { int unused; };
#define IOMMU_DIRTY_NO_CLEAR (1 << 0)
static inline void iommu_dirty_bitmap_record(struct iommu_dirty_bitmap *d, unsigned long iova, unsigned long len)
{
	(void)d; (void)iova; (void)len;
}

/* Table pages: kpeer's pool (pool.c), zeroed on allocation as __GFP_ZERO asks. */
void *iommu_alloc_pages_node(int nid, gfp_t gfp, int order);
void iommu_free_pages(void *virt, int order);

#endif
