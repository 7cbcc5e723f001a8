// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kpeer io-pgtable: the kernel's io-pgtable-arm.c (compiled here, from the downloaded sources) set up as Panthor's
 * panthor_vm_create sets it up: ARM_64_LPAE_S1, 4K|2M pages, the walk coherent or not as the GPU is, TLB callbacks
 * that do nothing (Panthor flushes per op elsewhere), and table pages from a driver allocator (cfg->alloc/free, as
 * Panthor's alloc_pt/free_pt) that zeroes each page it hands out.
 */
#include "io-pgtable-arm.c"

#include "kpeer.h"

void *kpeer_pool_alloc_page(struct kpeer_pool *pool);
void kpeer_pool_free_page(struct kpeer_pool *pool, void *p);

struct kpeer_pgtable {
	struct io_pgtable_ops *ops;
	struct kpeer_pool *pool;
	struct device dev;
	size_t tables;
};

static void *kp_alloc_pt(void *cookie, size_t size, gfp_t gfp)
{
	struct kpeer_pgtable *pt = cookie;
	(void)gfp;
	/* Panthor's alloc_pt only ever hands out 4K pages. */
	if (size != SZ_4K)
		return NULL;
	void *p = kpeer_pool_alloc_page(pt->pool);
	if (p)
		pt->tables++;
	return p;
}

static void kp_free_pt(void *cookie, void *data, size_t size)
{
	struct kpeer_pgtable *pt = cookie;
	if (size != SZ_4K)
		return;
	kpeer_pool_free_page(pt->pool, data);
	pt->tables--;
}

static void kp_tlb_flush_all(void *cookie) { (void)cookie; }
static void kp_tlb_flush_walk(unsigned long iova, size_t size, size_t granule, void *cookie)
{
	(void)iova; (void)size; (void)granule; (void)cookie;
}

static const struct iommu_flush_ops kp_tlb_ops = {
	.tlb_flush_all = kp_tlb_flush_all,
	.tlb_flush_walk = kp_tlb_flush_walk,
};

struct kpeer_pgtable *kpeer_pgtable_new(struct kpeer_pool *pool, unsigned int ias, unsigned int oas, int coherent)
{
	struct kpeer_pgtable *pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->pool = pool;
	struct io_pgtable_cfg cfg = {
		.pgsize_bitmap = SZ_4K | SZ_2M,
		.ias = ias,
		.oas = oas,
		.coherent_walk = coherent != 0,
		.tlb = &kp_tlb_ops,
		.iommu_dev = &pt->dev,
		.alloc = kp_alloc_pt,
		.free = kp_free_pt,
	};
	/* What alloc_io_pgtable_ops (io-pgtable.c) does for the format. */
	struct io_pgtable *iop = io_pgtable_arm_64_lpae_s1_init_fns.alloc(&cfg, pt);
	if (!iop) {
		free(pt);
		return NULL;
	}
	iop->fmt = ARM_64_LPAE_S1;
	iop->cookie = pt;
	iop->cfg = cfg;
	pt->ops = &iop->ops;
	return pt;
}

void kpeer_pgtable_free(struct kpeer_pgtable *pt)
{
	if (!pt)
		return;
	/* What free_io_pgtable_ops does: flush, then the format's free. */
	struct io_pgtable *iop = io_pgtable_ops_to_pgtable(pt->ops);
	io_pgtable_tlb_flush_all(iop);
	io_pgtable_arm_64_lpae_s1_init_fns.free(iop);
	free(pt);
}

int kpeer_pgtable_map_pages(struct kpeer_pgtable *pt, uint64_t iova, uint64_t paddr, size_t pgsize, size_t pgcount,
			    int prot, size_t *mapped)
{
	*mapped = 0;
	return pt->ops->map_pages(pt->ops, (unsigned long)iova, paddr, pgsize, pgcount, prot, GFP_KERNEL, mapped);
}

size_t kpeer_pgtable_unmap_pages(struct kpeer_pgtable *pt, uint64_t iova, size_t pgsize, size_t pgcount)
{
	return pt->ops->unmap_pages(pt->ops, (unsigned long)iova, pgsize, pgcount, NULL);
}

uint64_t kpeer_pgtable_iova_to_phys(struct kpeer_pgtable *pt, uint64_t iova)
{
	return pt->ops->iova_to_phys(pt->ops, (unsigned long)iova);
}

size_t kpeer_pgtable_tables_live(const struct kpeer_pgtable *pt) { return pt->tables; }

/* Walks one table with the file's own level arithmetic and leaf test. */
static void kp_walk(struct arm_lpae_io_pgtable *data, int lvl, arm_lpae_iopte *table, uint64_t base,
		    kpeer_leaf_fn fn, void *ctx)
{
	size_t n = lvl == data->start_level ? (size_t)1 << data->pgd_bits : ARM_LPAE_PTES_PER_TABLE(data);
	for (size_t i = 0; i < n; i++) {
		arm_lpae_iopte pte = READ_ONCE(table[i]);
		uint64_t iova = base + i * ARM_LPAE_BLOCK_SIZE(lvl, data);
		if (!pte)
			continue;
		if (iopte_leaf(pte, lvl, data->iop.fmt))
			fn(ctx, lvl, iova, pte);
		else if (iopte_table(pte, lvl))
			kp_walk(data, lvl + 1, iopte_deref(pte, data), iova, fn, ctx);
	}
}

void kpeer_pgtable_for_each_leaf(struct kpeer_pgtable *pt, kpeer_leaf_fn fn, void *ctx)
{
	struct arm_lpae_io_pgtable *data = io_pgtable_ops_to_data(pt->ops);
	kp_walk(data, data->start_level, data->pgd, 0, fn, ctx);
}
