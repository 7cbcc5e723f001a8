// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kpeer GPUVM: a VA space managed by the kernel's drm_gpuvm.c (compiled from the downloaded sources), driven the way
 * Panthor and `tyr replay gpuvm` drive theirs: each map obtains the object's vm_bo (objects have their own resv, so
 * they are external objects), tops a per-VM cache of VA nodes up to 3 (2 for an unmap), and hands the steps of
 * drm_gpuvm_sm_map/sm_unmap to callbacks that apply each one at once (drm_gpuva_map/remap/unmap plus link/unlink)
 * and count it. Nodes freed by unmaps go back into the cache while it has room.
 */
#include <kpeer_compat.h>
#include <drm/drm_gpuvm.h>

#include "kpeer.h"

#define KP_CACHE 3

struct kp_obj {
	struct drm_gem_object base;
	int64_t id;
};

struct kpeer_gpuvm {
	struct drm_gpuvm base;
	struct drm_device drm;
	struct kp_obj **objs;
	size_t nobjs;
	struct drm_gpuva *cache[KP_CACHE];
	/* The vm_bo of the map in progress (NULL for a null mapping). */
	struct drm_gpuvm_bo *cur_vm_bo;
	struct kpeer_steps steps;
};

static void kp_obj_free(struct drm_gem_object *obj) { kfree(container_of(obj, struct kp_obj, base)); }

static const struct drm_gem_object_funcs kp_obj_funcs = {
	.free = kp_obj_free,
};

static struct drm_gpuva *cache_take(struct kpeer_gpuvm *vm)
{
	for (int i = 0; i < KP_CACHE; i++) {
		struct drm_gpuva *va = vm->cache[i];
		if (va) {
			vm->cache[i] = NULL;
			memset(va, 0, sizeof(*va));
			return va;
		}
	}
	return NULL;
}

static void cache_put(struct kpeer_gpuvm *vm, struct drm_gpuva *va)
{
	for (int i = 0; i < KP_CACHE; i++) {
		if (!vm->cache[i]) {
			vm->cache[i] = va;
			return;
		}
	}
	kfree(va);
}

static int cache_top_up(struct kpeer_gpuvm *vm, int n)
{
	int have = 0;
	for (int i = 0; i < KP_CACHE; i++)
		have += vm->cache[i] != NULL;
	for (int i = 0; i < KP_CACHE && have < n; i++) {
		if (vm->cache[i])
			continue;
		vm->cache[i] = kzalloc(sizeof(struct drm_gpuva), GFP_KERNEL);
		if (!vm->cache[i])
			return -ENOMEM;
		have++;
	}
	return 0;
}

static int kp_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct kpeer_gpuvm *vm = priv;
	struct drm_gpuva *va = cache_take(vm);
	if (!va)
		return -ENOMEM;
	drm_gpuva_map(&vm->base, va, &op->map);
	if (op->map.gem.obj)
		drm_gpuva_link(va, vm->cur_vm_bo);
	vm->steps.map++;
	return 0;
}

static int kp_step_remap(struct drm_gpuva_op *op, void *priv)
{
	struct kpeer_gpuvm *vm = priv;
	struct drm_gpuva *va = op->remap.unmap->va;
	struct drm_gpuvm_bo *vm_bo = va->vm_bo;
	struct drm_gpuva *prev = NULL, *next = NULL;

	if (op->remap.prev && !(prev = cache_take(vm)))
		return -ENOMEM;
	if (op->remap.next && !(next = cache_take(vm))) {
		if (prev)
			cache_put(vm, prev);
		return -ENOMEM;
	}
	drm_gpuva_remap(prev, next, &op->remap);
	/* Link the pieces before unlinking the old VA, so the vm_bo keeps a reference throughout (Panthor's order). */
	if (vm_bo) {
		if (prev)
			drm_gpuva_link(prev, vm_bo);
		if (next)
			drm_gpuva_link(next, vm_bo);
	}
	drm_gpuva_unlink(va);
	cache_put(vm, va);
	vm->steps.remap++;
	return 0;
}

static int kp_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct kpeer_gpuvm *vm = priv;
	struct drm_gpuva *va = op->unmap.va;

	drm_gpuva_unmap(&op->unmap);
	drm_gpuva_unlink(va);
	cache_put(vm, va);
	vm->steps.unmap++;
	return 0;
}

static void kp_vm_free(struct drm_gpuvm *gpuvm) { kfree(container_of(gpuvm, struct kpeer_gpuvm, base)); }

static const struct drm_gpuvm_ops kp_gpuvm_ops = {
	.vm_free = kp_vm_free,
	.sm_step_map = kp_step_map,
	.sm_step_remap = kp_step_remap,
	.sm_step_unmap = kp_step_unmap,
};

struct kpeer_gpuvm *kpeer_gpuvm_new(uint64_t start, uint64_t range, uint64_t reserve_offset, uint64_t reserve_range)
{
	struct kpeer_gpuvm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return NULL;
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(&vm->drm);
	if (!r_obj) {
		kfree(vm);
		return NULL;
	}
	drm_gpuvm_init(&vm->base, "kpeer", 0, &vm->drm, r_obj, start, range, reserve_offset, reserve_range,
		       &kp_gpuvm_ops);
	/* The VM holds its own reference on the resv object now. */
	drm_gem_object_put(r_obj);
	return vm;
}

void kpeer_gpuvm_free(struct kpeer_gpuvm *vm)
{
	if (!vm)
		return;
	/* Unmap everything (the way a VM is torn down), then drop the objects, the cache and the VM. */
	if (cache_top_up(vm, 2) == 0)
		drm_gpuvm_sm_unmap(&vm->base, vm, vm->base.mm_start, vm->base.mm_range);
	for (size_t i = 0; i < vm->nobjs; i++)
		if (vm->objs[i])
			drm_gem_object_put(&vm->objs[i]->base);
	kfree(vm->objs);
	for (int i = 0; i < KP_CACHE; i++)
		kfree(vm->cache[i]);
	drm_gpuvm_put(&vm->base);
}

/* The object with script id `id`, created on first use with its own resv. */
static struct drm_gem_object *kp_obj(struct kpeer_gpuvm *vm, uint64_t id)
{
	if (id >= vm->nobjs) {
		size_t n = id + 1 > 2 * vm->nobjs ? id + 1 : 2 * vm->nobjs;
		struct kp_obj **objs = krealloc_array(vm->objs, n, sizeof(*objs), GFP_KERNEL);
		if (!objs)
			return NULL;
		memset(objs + vm->nobjs, 0, (n - vm->nobjs) * sizeof(*objs));
		vm->objs = objs;
		vm->nobjs = n;
	}
	if (!vm->objs[id]) {
		struct kp_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);
		if (!o)
			return NULL;
		o->id = (int64_t)id;
		o->base.funcs = &kp_obj_funcs;
		drm_gem_private_object_init(&vm->drm, &o->base, (size_t)1 << 48);
		vm->objs[id] = o;
	}
	return &vm->objs[id]->base;
}

int kpeer_gpuvm_map(struct kpeer_gpuvm *vm, uint64_t addr, uint64_t range, int64_t obj_id, uint64_t offset)
{
	struct drm_gem_object *obj = NULL;
	struct drm_gpuvm_bo *vm_bo = NULL;
	int ret;

	if (obj_id >= 0) {
		/* Ids are script object ids (u32); larger ones cannot come from a script. */
		if (obj_id > UINT32_MAX)
			return -EINVAL;
		obj = kp_obj(vm, (uint64_t)obj_id);
		if (!obj)
			return -ENOMEM;
		vm_bo = drm_gpuvm_bo_obtain(&vm->base, obj);
		if (IS_ERR(vm_bo))
			return (int)PTR_ERR(vm_bo);
		drm_gpuvm_bo_extobj_add(vm_bo);
	}
	ret = cache_top_up(vm, 3);
	if (!ret) {
		vm->cur_vm_bo = vm_bo;
		ret = drm_gpuvm_sm_map(&vm->base, vm, addr, range, obj, offset);
		vm->cur_vm_bo = NULL;
	}
	if (vm_bo)
		drm_gpuvm_bo_put(vm_bo);
	return ret;
}

int kpeer_gpuvm_unmap(struct kpeer_gpuvm *vm, uint64_t addr, uint64_t range)
{
	int ret = cache_top_up(vm, 2);
	if (ret)
		return ret;
	return drm_gpuvm_sm_unmap(&vm->base, vm, addr, range);
}

struct kpeer_steps kpeer_gpuvm_steps(const struct kpeer_gpuvm *vm) { return vm->steps; }

void kpeer_gpuvm_for_each_va(const struct kpeer_gpuvm *vm, kpeer_va_fn fn, void *ctx)
{
	struct drm_gpuva *va;
	drm_gpuvm_for_each_va(va, (struct drm_gpuvm *)&vm->base) {
		if (va == &vm->base.kernel_alloc_node)
			continue;
		int64_t id = va->gem.obj ? container_of(va->gem.obj, struct kp_obj, base)->id : -1;
		fn(ctx, va->va.addr, va->va.range, id, va->gem.offset);
	}
}

static void count_va(void *ctx, uint64_t a, uint64_t r, int64_t o, uint64_t off)
{
	(void)a; (void)r; (void)o; (void)off;
	(*(size_t *)ctx)++;
}

size_t kpeer_gpuvm_num_vas(const struct kpeer_gpuvm *vm)
{
	size_t n = 0;
	kpeer_gpuvm_for_each_va(vm, count_va, &n);
	return n;
}
