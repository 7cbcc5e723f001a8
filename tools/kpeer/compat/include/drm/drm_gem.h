/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* kpeer: the parts of a GEM object GPUVM touches: refcount, resv, the gpuva (vm_bo) list and the free hook. */
#ifndef KPEER_DRM_GEM_H
#define KPEER_DRM_GEM_H
#include <kpeer_compat.h>
#include <linux/list.h>
#include <linux/dma-resv.h>
#include <drm/drm_device.h>

struct drm_gem_object;

struct drm_gem_object_funcs {
	void (*free)(struct drm_gem_object *obj);
};

struct drm_gem_object {
	struct kref refcount;
	struct drm_device *dev;
	size_t size;
	struct dma_resv *resv;
	struct dma_resv _resv;
	struct {
		struct list_head list;
	} gpuva;
	const struct drm_gem_object_funcs *funcs;
};

static inline void drm_gem_private_object_init(struct drm_device *dev, struct drm_gem_object *obj, size_t size)
{
	kref_init(&obj->refcount);
	obj->dev = dev;
	obj->size = size;
	obj->resv = &obj->_resv;
	INIT_LIST_HEAD(&obj->gpuva.list);
}

static inline void drm_gem_object_release(struct drm_gem_object *obj) { (void)obj; }

static inline void kpeer_gem_free(struct kref *k)
{
	struct drm_gem_object *obj = container_of(k, struct drm_gem_object, refcount);
	obj->funcs->free(obj);
}

static inline void drm_gem_object_get(struct drm_gem_object *obj) { kref_get(&obj->refcount); }
static inline void drm_gem_object_put(struct drm_gem_object *obj)
{
	if (obj)
		kref_put(&obj->refcount, kpeer_gem_free);
}

#define drm_gem_gpuva_assert_lock_held(obj) ((void)(obj))
#define drm_gem_gpuva_set_lock(obj, lock) ((void)(obj))
static inline void drm_gem_gpuva_init(struct drm_gem_object *obj) { INIT_LIST_HEAD(&obj->gpuva.list); }
#define drm_gem_for_each_gpuvm_bo(entry__, obj__) list_for_each_entry(entry__, &(obj__)->gpuva.list, list.entry.gem)
#define drm_gem_for_each_gpuvm_bo_safe(entry__, next__, obj__) \
	list_for_each_entry_safe(entry__, next__, &(obj__)->gpuva.list, list.entry.gem)
#endif
