/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* kpeer: drm_exec for one thread: locking never contends, so the retry loop runs its body once; the locked objects
 * are kept in an array for drm_exec_for_each_locked_object. */
#ifndef KPEER_DRM_EXEC_H
#define KPEER_DRM_EXEC_H
#include <kpeer_compat.h>
#include <drm/drm_gem.h>

#define DRM_EXEC_INTERRUPTIBLE_WAIT (1u << 0)
#define DRM_EXEC_IGNORE_DUPLICATES (1u << 1)

struct drm_exec {
	u32 flags;
	unsigned int num_objects;
	unsigned int max_objects;
	struct drm_gem_object **objects;
};

static inline void drm_exec_init(struct drm_exec *exec, u32 flags, unsigned int nr)
{
	(void)nr;
	exec->flags = flags;
	exec->num_objects = 0;
	exec->max_objects = 0;
	exec->objects = NULL;
}

static inline void drm_exec_fini(struct drm_exec *exec)
{
	for (unsigned int i = 0; i < exec->num_objects; i++)
		drm_gem_object_put(exec->objects[i]);
	kfree(exec->objects);
	exec->objects = NULL;
	exec->num_objects = 0;
}

static inline int drm_exec_lock_obj(struct drm_exec *exec, struct drm_gem_object *obj)
{
	for (unsigned int i = 0; i < exec->num_objects; i++)
		if (exec->objects[i] == obj)
			return (exec->flags & DRM_EXEC_IGNORE_DUPLICATES) ? 0 : -EALREADY;
	if (exec->num_objects == exec->max_objects) {
		unsigned int n = exec->max_objects ? 2 * exec->max_objects : 8;
		struct drm_gem_object **o = krealloc_array(exec->objects, n, sizeof(*o), GFP_KERNEL);
		if (!o)
			return -ENOMEM;
		exec->objects = o;
		exec->max_objects = n;
	}
	drm_gem_object_get(obj);
	exec->objects[exec->num_objects++] = obj;
	return 0;
}

static inline int drm_exec_prepare_obj(struct drm_exec *exec, struct drm_gem_object *obj, unsigned int n)
{
	int ret = drm_exec_lock_obj(exec, obj);
	if (ret)
		return ret;
	return dma_resv_reserve_fences(obj->resv, n);
}

static inline int drm_exec_prepare_array(struct drm_exec *exec, struct drm_gem_object **objs, unsigned int n,
					 unsigned int num_fences)
{
	for (unsigned int i = 0; i < n; i++) {
		int ret = drm_exec_prepare_obj(exec, objs[i], num_fences);
		if (ret)
			return ret;
	}
	return 0;
}

#define drm_exec_until_all_locked(exec) for (int kpeer_exec_once = 1; kpeer_exec_once; kpeer_exec_once = 0)
#define drm_exec_retry_on_contention(exec) ((void)(exec))
#define drm_exec_is_contended(exec) ((void)(exec), false)
#define drm_exec_for_each_locked_object(exec, index, obj) \
	for ((index) = 0; (index) < (exec)->num_objects && (((obj) = (exec)->objects[index]), 1); ++(index))
#endif
