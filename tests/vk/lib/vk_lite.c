/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The harness behind vk_lite.h: instance and device setup per subtest, the subtest loop, buffers and submits. */
#include "vk_lite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *vk_result_name(VkResult r)
{
	switch (r) {
#define N(x)                                                                                             \
	case x:                                                                                          \
		return #x
		N(VK_SUCCESS);
		N(VK_NOT_READY);
		N(VK_TIMEOUT);
		N(VK_EVENT_SET);
		N(VK_EVENT_RESET);
		N(VK_INCOMPLETE);
		N(VK_ERROR_OUT_OF_HOST_MEMORY);
		N(VK_ERROR_OUT_OF_DEVICE_MEMORY);
		N(VK_ERROR_INITIALIZATION_FAILED);
		N(VK_ERROR_DEVICE_LOST);
		N(VK_ERROR_MEMORY_MAP_FAILED);
		N(VK_ERROR_LAYER_NOT_PRESENT);
		N(VK_ERROR_EXTENSION_NOT_PRESENT);
		N(VK_ERROR_FEATURE_NOT_PRESENT);
		N(VK_ERROR_INCOMPATIBLE_DRIVER);
		N(VK_ERROR_TOO_MANY_OBJECTS);
		N(VK_ERROR_FORMAT_NOT_SUPPORTED);
		N(VK_ERROR_UNKNOWN);
#undef N
	default:
		return "VkResult(?)";
	}
}

void vk_report(struct vk_ctx *ctx, enum vk_result r, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* stderr as IGT does, and stdout so a runner that keeps only stdout still says which check. */
	fprintf(stderr, "%s:%d: %s: %s\n", file, line, r == VK_LITE_SKIP ? "skip" : "check failed", msg);
	printf("# %s:%d: %s: %s\n", file, line, r == VK_LITE_SKIP ? "skip" : "check failed", msg);
	if (ctx->result == VK_LITE_SUCCESS)
		ctx->result = r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A Vulkan 1.1 instance (what panvk offers a v10 GPU) and its first physical device; VK_ERROR_INCOMPATIBLE_DRIVER
 * or no device means "no Vulkan device here". */
static VkResult open_instance(struct vk_ctx *ctx)
{
	const VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "tyr-vk-lite",
		.apiVersion = VK_API_VERSION_1_1,
	};
	const VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	uint32_t count = 1;
	VkResult r = vkCreateInstance(&ci, NULL, &ctx->instance);

	if (r != VK_SUCCESS)
		return r;
	r = vkEnumeratePhysicalDevices(ctx->instance, &count, &ctx->pdev);
	if (r == VK_INCOMPLETE)
		r = VK_SUCCESS;
	if (r == VK_SUCCESS && count == 0)
		r = VK_ERROR_INCOMPATIBLE_DRIVER;
	return r;
}

void vk_close_device(struct vk_ctx *ctx)
{
	if (ctx->dev) {
		vkDeviceWaitIdle(ctx->dev);
		if (ctx->pool)
			vkDestroyCommandPool(ctx->dev, ctx->pool, NULL);
		vkDestroyDevice(ctx->dev, NULL);
	}
	ctx->dev = VK_NULL_HANDLE;
	ctx->pool = VK_NULL_HANDLE;
	ctx->queue = VK_NULL_HANDLE;
}

struct vk_ctx *vk_open_peer(struct vk_ctx *ctx, VkQueueFlags flags)
{
	struct vk_ctx *peer = calloc(1, sizeof(*peer));

	if (!peer) {
		vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "out of memory");
		return NULL;
	}
	peer->instance = ctx->instance;
	peer->pdev = ctx->pdev;
	peer->result = VK_LITE_SUCCESS;
	ctx->peer = peer;
	vk_open_device(peer, flags);
	if (peer->result != VK_LITE_SUCCESS) {
		ctx->result = peer->result;
		return NULL;
	}
	return peer;
}

static void close_ctx(struct vk_ctx *ctx)
{
	if (ctx->peer) {
		vk_close_device(ctx->peer);
		free(ctx->peer);
	}
	vk_close_device(ctx);
	if (ctx->instance)
		vkDestroyInstance(ctx->instance, NULL);
	memset(ctx, 0, sizeof(*ctx));
}

static bool has_device_extension(VkPhysicalDevice pdev, const char *name)
{
	VkExtensionProperties ext[512];
	uint32_t n = 512;

	if (vkEnumerateDeviceExtensionProperties(pdev, NULL, &n, ext) < 0)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(ext[i].extensionName, name) == 0)
			return true;
	}
	return false;
}

/* Device extensions the clients use, enabled whenever the device has them. */
static const char *const wanted_extensions[] = {
	VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME,   VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
	VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME,
	VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME,
};

void vk_open_device(struct vk_ctx *ctx, VkQueueFlags flags)
{
	VkQueueFamilyProperties fam[16];
	uint32_t nfam = 16;
	const float prio = 1.0f;
	const char *exts[sizeof(wanted_extensions) / sizeof(wanted_extensions[0])];
	uint32_t next = 0;
	bool timeline = false;
	VkPhysicalDeviceTimelineSemaphoreFeaturesKHR timeline_features = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES_KHR,
		.timelineSemaphore = VK_TRUE,
	};

	vkGetPhysicalDeviceQueueFamilyProperties(ctx->pdev, &nfam, fam);
	ctx->qfam = UINT32_MAX;
	for (uint32_t i = 0; i < nfam; i++) {
		if ((fam[i].queueFlags & flags) == flags && fam[i].queueCount > 0) {
			ctx->qfam = i;
			break;
		}
	}
	vk_check_f(ctx, ctx->qfam != UINT32_MAX, "no queue family with flags 0x%x among %u", flags, nfam);
	/* Timeline semaphores are core in 1.2; on panvk's 1.1 device they are VK_KHR_timeline_semaphore. */
	for (size_t i = 0; i < sizeof(wanted_extensions) / sizeof(wanted_extensions[0]); i++) {
		if (has_device_extension(ctx->pdev, wanted_extensions[i])) {
			exts[next++] = wanted_extensions[i];
			timeline |= i == 0;
		}
	}

	const VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = ctx->qfam,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	const VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.pNext = timeline ? &timeline_features : NULL,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.enabledExtensionCount = next,
		.ppEnabledExtensionNames = exts,
	};
	vk_ok(ctx, vkCreateDevice(ctx->pdev, &dci, NULL, &ctx->dev));
	vkGetDeviceQueue(ctx->dev, ctx->qfam, 0, &ctx->queue);
	vk_check(ctx, ctx->queue != VK_NULL_HANDLE);

	const VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		.queueFamilyIndex = ctx->qfam,
	};
	vk_ok(ctx, vkCreateCommandPool(ctx->dev, &pci, NULL, &ctx->pool));
}

void vk_buf_create(struct vk_ctx *ctx, struct vk_buf *b, VkDeviceSize size, VkBufferUsageFlags usage)
{
	const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	VkPhysicalDeviceMemoryProperties mp;
	VkMemoryRequirements req;
	uint32_t type = UINT32_MAX;

	memset(b, 0, sizeof(*b));
	b->size = size;
	const VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	vk_ok(ctx, vkCreateBuffer(ctx->dev, &bci, NULL, &b->buf));
	vkGetBufferMemoryRequirements(ctx->dev, b->buf, &req);
	vkGetPhysicalDeviceMemoryProperties(ctx->pdev, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
		if ((req.memoryTypeBits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
			type = i;
			break;
		}
	}
	vk_check_f(ctx, type != UINT32_MAX, "no host-visible coherent type in bits 0x%x", req.memoryTypeBits);
	const VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = type,
	};
	vk_ok(ctx, vkAllocateMemory(ctx->dev, &mai, NULL, &b->mem));
	vk_ok(ctx, vkBindBufferMemory(ctx->dev, b->buf, b->mem, 0));
	vk_ok(ctx, vkMapMemory(ctx->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map));
}

void vk_buf_destroy(struct vk_ctx *ctx, struct vk_buf *b)
{
	if (b->mem) {
		if (b->map)
			vkUnmapMemory(ctx->dev, b->mem);
		vkFreeMemory(ctx->dev, b->mem, NULL);
	}
	if (b->buf)
		vkDestroyBuffer(ctx->dev, b->buf, NULL);
	memset(b, 0, sizeof(*b));
}

VkCommandBuffer vk_cmd_begin(struct vk_ctx *ctx)
{
	VkCommandBuffer cmd = VK_NULL_HANDLE;
	const VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = ctx->pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	const VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkResult r = vkAllocateCommandBuffers(ctx->dev, &ai, &cmd);

	if (r != VK_SUCCESS) {
		vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "vkAllocateCommandBuffers: %s", vk_result_name(r));
		return VK_NULL_HANDLE;
	}
	r = vkBeginCommandBuffer(cmd, &bi);
	if (r != VK_SUCCESS) {
		vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "vkBeginCommandBuffer: %s", vk_result_name(r));
		vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cmd);
		return VK_NULL_HANDLE;
	}
	return cmd;
}

static void submit_wait(struct vk_ctx *ctx, VkCommandBuffer cmd, VkFence fence)
{
	const VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};

	vk_ok(ctx, vkEndCommandBuffer(cmd));
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &si, fence));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS));
	vk_ok(ctx, vkGetFenceStatus(ctx->dev, fence));
}

void vk_cmd_submit_wait(struct vk_ctx *ctx, VkCommandBuffer cmd)
{
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkFence fence = VK_NULL_HANDLE;
	VkResult r;

	if (!cmd)
		return;
	r = vkCreateFence(ctx->dev, &fci, NULL, &fence);
	if (r != VK_SUCCESS)
		vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "vkCreateFence: %s", vk_result_name(r));
	else
		submit_wait(ctx, cmd, fence);
	if (fence)
		vkDestroyFence(ctx->dev, fence, NULL);
	vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cmd);
}

void vk_compute_create(struct vk_ctx *ctx, struct vk_compute *c, const uint32_t *spv, size_t spv_size,
		       const struct vk_buf *b0, const struct vk_buf *b1)
{
	memset(c, 0, sizeof(*c));
	const VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = spv_size,
		.pCode = spv,
	};
	vk_ok(ctx, vkCreateShaderModule(ctx->dev, &smci, NULL, &c->module));
	const VkDescriptorSetLayoutBinding bindings[] = {
		{ 0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		{ 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
	};
	const VkDescriptorSetLayoutCreateInfo dslci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 2,
		.pBindings = bindings,
	};
	vk_ok(ctx, vkCreateDescriptorSetLayout(ctx->dev, &dslci, NULL, &c->dsl));
	const VkPushConstantRange pcr = { VK_SHADER_STAGE_COMPUTE_BIT, 0, 128 };
	const VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &c->dsl,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &pcr,
	};
	vk_ok(ctx, vkCreatePipelineLayout(ctx->dev, &plci, NULL, &c->layout));
	const VkComputePipelineCreateInfo cpci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = c->module,
			.pName = "main",
		},
		.layout = c->layout,
	};
	vk_ok(ctx, vkCreateComputePipelines(ctx->dev, VK_NULL_HANDLE, 1, &cpci, NULL, &c->pipeline));
	const VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 };
	const VkDescriptorPoolCreateInfo dpci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &ps,
	};
	vk_ok(ctx, vkCreateDescriptorPool(ctx->dev, &dpci, NULL, &c->dpool));
	const VkDescriptorSetAllocateInfo dsai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = c->dpool,
		.descriptorSetCount = 1,
		.pSetLayouts = &c->dsl,
	};
	vk_ok(ctx, vkAllocateDescriptorSets(ctx->dev, &dsai, &c->set));
	const VkDescriptorBufferInfo bi[] = {
		{ b0->buf, 0, VK_WHOLE_SIZE },
		{ b1->buf, 0, VK_WHOLE_SIZE },
	};
	const VkWriteDescriptorSet writes[] = {
		{ .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = c->set, .dstBinding = 0, .descriptorCount = 1,
		  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .pBufferInfo = &bi[0] },
		{ .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = c->set, .dstBinding = 1, .descriptorCount = 1,
		  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .pBufferInfo = &bi[1] },
	};
	vkUpdateDescriptorSets(ctx->dev, 2, writes, 0, NULL);
}

void vk_compute_record(const struct vk_compute *c, VkCommandBuffer cmd, const void *push, uint32_t push_size,
		       uint32_t groups)
{
	const VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};

	vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipeline);
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->layout, 0, 1, &c->set, 0, NULL);
	if (push_size)
		vkCmdPushConstants(cmd, c->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
	vkCmdDispatch(cmd, groups, 1, 1);
	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0,
			     NULL, 0, NULL);
}

void vk_compute_destroy(struct vk_ctx *ctx, struct vk_compute *c)
{
	if (c->dpool)
		vkDestroyDescriptorPool(ctx->dev, c->dpool, NULL);
	if (c->pipeline)
		vkDestroyPipeline(ctx->dev, c->pipeline, NULL);
	if (c->layout)
		vkDestroyPipelineLayout(ctx->dev, c->layout, NULL);
	if (c->dsl)
		vkDestroyDescriptorSetLayout(ctx->dev, c->dsl, NULL);
	if (c->module)
		vkDestroyShaderModule(ctx->dev, c->module, NULL);
	memset(c, 0, sizeof(*c));
}

int vk_main(int argc, char **argv, const struct vk_subtest *tests, size_t n)
{
	const char *only = NULL;
	const char *names[] = { "SUCCESS", "FAIL", "SKIP" };
	bool failed = false, ran = false, none = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list-subtests") == 0) {
			for (size_t t = 0; t < n; t++)
				printf("%s\n", tests[t].name);
			return 0;
		}
		if (strcmp(argv[i], "--run-subtest") == 0 && i + 1 < argc)
			only = argv[++i];
	}
	for (size_t t = 0; t < n; t++) {
		struct vk_ctx ctx = { .result = VK_LITE_SUCCESS };
		double start;
		VkResult r;

		if (only && strcmp(only, tests[t].name))
			continue;
		ran = true;
		printf("Starting subtest: %s\n", tests[t].name);
		fflush(stdout);
		start = now();
		r = open_instance(&ctx);
		if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
			vk_report(&ctx, VK_LITE_SKIP, __FILE__, __LINE__, "no Vulkan device (VK_DRIVER_FILES?)");
			none = true;
		} else if (r != VK_SUCCESS) {
			vk_report(&ctx, VK_LITE_FAIL, __FILE__, __LINE__, "instance: %s", vk_result_name(r));
		} else {
			tests[t].fn(&ctx);
		}
		enum vk_result res = ctx.result;

		close_ctx(&ctx);
		printf("Subtest %s: %s (%.3fs)\n", tests[t].name, names[res], now() - start);
		fflush(stdout);
		failed |= res == VK_LITE_FAIL;
	}
	if (only && !ran) {
		fprintf(stderr, "Unknown subtest: %s\n", only);
		return 1;
	}
	if (failed)
		return 1;
	return none ? 77 : 0;
}
