/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * A small harness for our headless Vulkan clients (no window system, only the Vulkan loader): each subtest gets a
 * fresh instance and the first physical device, may open a device with one queue, and reports IGT's result lines,
 * so `tyr igt` counts them like the IGT ports:
 *
 *     Starting subtest: NAME
 *     Subtest NAME: SUCCESS (0.001s)
 *
 * A failed check ends its subtest with FAIL and says which check on stderr and stdout (`# check failed: ...`); the
 * exit status is 0 when nothing failed, 1 otherwise, 77 when the loader finds no Vulkan device (all SKIP).
 * `--list-subtests` prints the names; `--run-subtest NAME` runs one. Every wait is bounded (VK_LITE_TIMEOUT_NS).
 */
#ifndef VK_LITE_H
#define VK_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

/* The bound on every fence or semaphore wait: long enough for the modelled GPU on a loaded machine, short enough
 * that a lost signal ends the subtest instead of hanging the suite. */
#define VK_LITE_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)

enum vk_result { VK_LITE_SUCCESS, VK_LITE_FAIL, VK_LITE_SKIP };

struct vk_ctx {
	VkInstance instance;
	VkPhysicalDevice pdev;
	/* Set by vk_open_device(): a device with one queue of family `qfam`, and a command pool on that family. */
	VkDevice dev;
	VkQueue queue;
	uint32_t qfam;
	VkCommandPool pool;
	/* A second device on the same physical device (vk_open_peer), closed with the subtest. */
	struct vk_ctx *peer;
	enum vk_result result;
};

typedef void (*vk_subtest_fn)(struct vk_ctx *ctx);

struct vk_subtest {
	const char *name;
	vk_subtest_fn fn;
};

/* Runs the subtests (all, or the one --run-subtest names); returns the exit status. */
int vk_main(int argc, char **argv, const struct vk_subtest *tests, size_t n);

void vk_report(struct vk_ctx *ctx, enum vk_result r, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

const char *vk_result_name(VkResult r);

#define vk_check_f(ctx, cond, ...)                                                                       \
	do {                                                                                             \
		if (!(cond)) {                                                                           \
			vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, __VA_ARGS__);                   \
			return;                                                                          \
		}                                                                                        \
	} while (0)
#define vk_check(ctx, cond) vk_check_f(ctx, cond, "%s", #cond)
#define vk_check_eq(ctx, a, b)                                                                           \
	vk_check_f(ctx, (a) == (b), "%s == %s: 0x%llx != 0x%llx", #a, #b, (unsigned long long)(a),      \
		   (unsigned long long)(b))
/* A Vulkan call that must return VK_SUCCESS. */
#define vk_ok(ctx, call)                                                                                 \
	do {                                                                                             \
		VkResult r_ = (call);                                                                    \
		vk_check_f(ctx, r_ == VK_SUCCESS, "%s: %s", #call, vk_result_name(r_));                  \
	} while (0)
/* Ends the subtest if a helper failed. */
#define vk_return_if_failed(ctx)                                                                         \
	do {                                                                                             \
		if ((ctx)->result != VK_LITE_SUCCESS)                                                    \
			return;                                                                          \
	} while (0)

/* Creates ctx->dev with one queue of the first family that has `flags`, its queue and a command pool; enables the
 * timeline-semaphore and external memory/semaphore/fence fd extensions the device has. */
void vk_open_device(struct vk_ctx *ctx, VkQueueFlags flags);
/* Destroys what vk_open_device created (the harness does it after each subtest). */
void vk_close_device(struct vk_ctx *ctx);
/* Opens ctx->peer: a second device like vk_open_device's on the same physical device; NULL (and the subtest failed)
 * if it could not. */
struct vk_ctx *vk_open_peer(struct vk_ctx *ctx, VkQueueFlags flags);

/* A buffer bound to its own host-visible, host-coherent memory, mapped. */
struct vk_buf {
	VkBuffer buf;
	VkDeviceMemory mem;
	void *map;
	VkDeviceSize size;
};
void vk_buf_create(struct vk_ctx *ctx, struct vk_buf *b, VkDeviceSize size, VkBufferUsageFlags usage);
void vk_buf_destroy(struct vk_ctx *ctx, struct vk_buf *b);

/* A primary command buffer from ctx->pool, begun for one-time submission. */
VkCommandBuffer vk_cmd_begin(struct vk_ctx *ctx);
/* Ends `cmd`, submits it with a fence and waits for the fence (bounded); frees `cmd`. */
void vk_cmd_submit_wait(struct vk_ctx *ctx, VkCommandBuffer cmd);

/* A compute pipeline of one SPIR-V shader over two storage buffers (set 0, bindings 0 and 1) with a 128-byte push
 * constant range, and its descriptor set written. */
struct vk_compute {
	VkShaderModule module;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
};
void vk_compute_create(struct vk_ctx *ctx, struct vk_compute *c, const uint32_t *spv, size_t spv_size,
		       const struct vk_buf *b0, const struct vk_buf *b1);
/* Records into `cmd`: the pipeline and its set bound, `push_size` bytes of push constants (none when 0), a dispatch
 * of `groups` workgroups along X, and a barrier making the shader's writes visible to the host. */
void vk_compute_record(const struct vk_compute *c, VkCommandBuffer cmd, const void *push, uint32_t push_size,
		       uint32_t groups);
/* Destroys what vk_compute_create made (handles it did not make are skipped). */
void vk_compute_destroy(struct vk_ctx *ctx, struct vk_compute *c);

#endif
