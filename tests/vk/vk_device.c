/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Headless Vulkan through panvk on the modelled Mali-G610: what a client sees of the physical device (checked
 * against DEV_QUERY and the board's RAM), device and queue creation, host-mapped memory, submits with fences and
 * timeline semaphores. Nothing here needs the GPU to run a shader. `--info` prints one line about the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "lib/vk_lite.h"

#define ARM_VENDOR_ID 0x13b5

/* VkPhysicalDeviceDriverProperties (VK_KHR_driver_properties on panvk's 1.1 device) with the plain properties. */
static void driver_properties(struct vk_ctx *ctx, VkPhysicalDeviceProperties *p, VkPhysicalDeviceDriverPropertiesKHR *d)
{
	VkPhysicalDeviceProperties2 p2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = d,
	};

	memset(d, 0, sizeof(*d));
	d->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES_KHR;
	vkGetPhysicalDeviceProperties2(ctx->pdev, &p2);
	*p = p2.properties;
}

/* The one line `make run` prints: name, device ID, driver and API version. */
static int info(void)
{
	struct vk_ctx ctx = { .result = VK_LITE_SUCCESS };
	const VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.apiVersion = VK_API_VERSION_1_1,
	};
	const VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	VkPhysicalDeviceProperties p;
	VkPhysicalDeviceDriverPropertiesKHR d;
	uint32_t n = 1;

	if (vkCreateInstance(&ci, NULL, &ctx.instance) != VK_SUCCESS ||
	    vkEnumeratePhysicalDevices(ctx.instance, &n, &ctx.pdev) < 0 || n == 0) {
		fprintf(stderr, "no Vulkan device\n");
		return 1;
	}
	driver_properties(&ctx, &p, &d);
	printf("Vulkan device: %s (deviceID 0x%08x), driver %s %s, Vulkan %u.%u.%u\n", p.deviceName, p.deviceID,
	       d.driverName, d.driverInfo, VK_API_VERSION_MAJOR(p.apiVersion), VK_API_VERSION_MINOR(p.apiVersion),
	       VK_API_VERSION_PATCH(p.apiVersion));
	vkDestroyInstance(ctx.instance, NULL);
	return 0;
}

/* Name, vendor, type, API version; the driver is panvk and its version is the Mesa release it names. */
static void physical_device(struct vk_ctx *ctx)
{
	VkPhysicalDeviceProperties p;
	VkPhysicalDeviceDriverPropertiesKHR d;
	VkPhysicalDevice all[4];
	uint32_t n = 4, major, minor, patch;

	vk_ok(ctx, vkEnumeratePhysicalDevices(ctx->instance, &n, all));
	vk_check_eq(ctx, n, 1);
	driver_properties(ctx, &p, &d);
	vk_check_f(ctx, strncmp(p.deviceName, "Mali-G610", 9) == 0, "deviceName \"%s\"", p.deviceName);
	vk_check_eq(ctx, p.vendorID, ARM_VENDOR_ID);
	vk_check_eq(ctx, p.deviceType, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU);
	vk_check_f(ctx, p.apiVersion >= VK_API_VERSION_1_1, "apiVersion 0x%x below 1.1", p.apiVersion);
	vk_check_eq(ctx, d.driverID, VK_DRIVER_ID_MESA_PANVK);
	vk_check_f(ctx, sscanf(d.driverInfo, "Mesa %u.%u.%u", &major, &minor, &patch) == 3, "driverInfo \"%s\"",
		   d.driverInfo);
	vk_check_eq(ctx, p.driverVersion, VK_MAKE_VERSION(major, minor, patch));
	printf("# %s, driver %s %s, Vulkan %u.%u.%u\n", p.deviceName, d.driverName, d.driverInfo,
	       VK_API_VERSION_MAJOR(p.apiVersion), VK_API_VERSION_MINOR(p.apiVersion),
	       VK_API_VERSION_PATCH(p.apiVersion));
}

/* What the physical device says against what the kernel says: DEV_QUERY GPU_INFO on the render node (the device
 * ID and the workgroup limit are derived from it), the board's RAM as sysinfo reports it (panvk's heap is half of
 * it up to 4 GiB, three quarters above), and panvk's one queue family and memory type. */
static void matches_dev_query(struct vk_ctx *ctx)
{
	struct drm_panthor_gpu_info gpu = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO,
		.size = sizeof(gpu),
		.pointer = (__u64)(uintptr_t)&gpu,
	};
	VkPhysicalDeviceProperties p;
	VkPhysicalDeviceMemoryProperties mp;
	VkQueueFamilyProperties fam[8];
	uint32_t nfam = 8;
	struct sysinfo si;
	int fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	int r;

	vk_check_f(ctx, fd >= 0, "open renderD128: errno %d", errno);
	r = ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
	close(fd);
	vk_check_f(ctx, r == 0, "DEV_QUERY GPU_INFO: errno %d", errno);

	vkGetPhysicalDeviceProperties(ctx->pdev, &p);
	vk_check_eq(ctx, p.deviceID, gpu.gpu_id & 0xffff0000u);
	vk_check_eq(ctx, p.limits.maxComputeWorkGroupInvocations, gpu.thread_max_workgroup_size);
	vk_check_eq(ctx, p.limits.maxComputeWorkGroupSize[0], gpu.thread_max_workgroup_size);

	vk_check(ctx, sysinfo(&si) == 0);
	uint64_t ram = (uint64_t)si.totalram * si.mem_unit;
	uint64_t heap = ram <= (4ull << 30) ? ram / 2 : ram / 4 * 3;
	vkGetPhysicalDeviceMemoryProperties(ctx->pdev, &mp);
	vk_check_eq(ctx, mp.memoryHeapCount, 1);
	vk_check_eq(ctx, mp.memoryHeaps[0].size, heap);
	vk_check_eq(ctx, mp.memoryHeaps[0].flags, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT);
	vk_check_eq(ctx, mp.memoryTypeCount, 1);
	vk_check_eq(ctx, mp.memoryTypes[0].propertyFlags,
		    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
			    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	vk_check_eq(ctx, mp.memoryTypes[0].heapIndex, 0);

	vkGetPhysicalDeviceQueueFamilyProperties(ctx->pdev, &nfam, fam);
	vk_check_eq(ctx, nfam, 1);
	vk_check_eq(ctx, fam[0].queueFlags, VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT);
	vk_check_eq(ctx, fam[0].queueCount, 1);
}

/* A device with one queue on the graphics+compute family; idle waits return at once. */
static void device_and_queue(struct vk_ctx *ctx)
{
	vk_open_device(ctx, VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	vk_ok(ctx, vkQueueWaitIdle(ctx->queue));
	vk_ok(ctx, vkDeviceWaitIdle(ctx->dev));
}

/* Host-mapped memory: a pattern written through one mapping reads back through a second mapping of the same memory,
 * and two allocations do not share bytes. */
static void memory_map_readback(struct vk_ctx *ctx)
{
	const VkDeviceSize size = 1 << 20;
	struct vk_buf a, b;
	uint32_t *w;

	vk_open_device(ctx, VK_QUEUE_TRANSFER_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &a, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &b, size, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	w = a.map;
	for (uint32_t i = 0; i < size / 4; i++)
		w[i] = i * 2654435761u;
	memset(b.map, 0x5a, size);
	vkUnmapMemory(ctx->dev, a.mem);
	a.map = NULL;
	vk_ok(ctx, vkMapMemory(ctx->dev, a.mem, 0, VK_WHOLE_SIZE, 0, (void **)&w));
	a.map = w;
	for (uint32_t i = 0; i < size / 4; i++)
		vk_check_f(ctx, w[i] == i * 2654435761u, "word %u: 0x%08x, wrote 0x%08x", i, w[i], i * 2654435761u);
	for (uint32_t i = 0; i < size; i++)
		vk_check_f(ctx, ((uint8_t *)b.map)[i] == 0x5a, "second allocation byte %u changed", i);
	vk_buf_destroy(ctx, &a);
	vk_buf_destroy(ctx, &b);
}

/* A command buffer holding only a pipeline barrier, submitted with a fence 16 times (the fence reset between),
 * each wait bounded; then a submit with no command buffer that only signals a fence. */
static void barrier_submit_fence(struct vk_ctx *ctx)
{
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	const VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT,
	};
	const VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
	VkCommandBufferAllocateInfo aip = ai;
	VkCommandBuffer cmd;
	VkFence fence;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	aip.commandPool = ctx->pool;
	vk_ok(ctx, vkAllocateCommandBuffers(ctx->dev, &aip, &cmd));
	vk_ok(ctx, vkBeginCommandBuffer(cmd, &bi));
	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0,
			     NULL);
	vk_ok(ctx, vkEndCommandBuffer(cmd));
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence));
	vk_check_eq(ctx, vkGetFenceStatus(ctx->dev, fence), VK_NOT_READY);
	for (int i = 0; i < 16; i++) {
		const VkSubmitInfo si = {
			.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
			.commandBufferCount = 1,
			.pCommandBuffers = &cmd,
		};
		vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &si, fence));
		vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS));
		vk_ok(ctx, vkGetFenceStatus(ctx->dev, fence));
		vk_ok(ctx, vkResetFences(ctx->dev, 1, &fence));
		vk_check_eq(ctx, vkGetFenceStatus(ctx->dev, fence), VK_NOT_READY);
	}
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 0, NULL, fence));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS));
	vk_ok(ctx, vkQueueWaitIdle(ctx->queue));
	vkDestroyFence(ctx->dev, fence, NULL);
	vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cmd);
}

/* Fence states without the GPU: created signalled, reset, and a zero-timeout wait on an unsignalled fence times
 * out. */
static void fence_states(struct vk_ctx *ctx)
{
	const VkFenceCreateInfo fci = {
		.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
		.flags = VK_FENCE_CREATE_SIGNALED_BIT,
	};
	VkFence fence;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence));
	vk_ok(ctx, vkGetFenceStatus(ctx->dev, fence));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, 0));
	vk_ok(ctx, vkResetFences(ctx->dev, 1, &fence));
	vk_check_eq(ctx, vkGetFenceStatus(ctx->dev, fence), VK_NOT_READY);
	vk_check_eq(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, 0), VK_TIMEOUT);
	vk_check_eq(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, 1000000), VK_TIMEOUT);
	vkDestroyFence(ctx->dev, fence, NULL);
}

/* vkCmdUpdateBuffer records (panvk copies through a compute shader) and its submit completes with the fence
 * signalled and the device not lost. The bytes are checked by vk_compute, once the model runs shaders. */
static void update_buffer_submits(struct vk_ctx *ctx)
{
	uint32_t data[64];
	struct vk_buf b;
	VkCommandBuffer cmd;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &b, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	for (uint32_t i = 0; i < 64; i++)
		data[i] = 0xc0de0000u + i;
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vkCmdUpdateBuffer(cmd, b.buf, 256, sizeof(data), data);
	vk_cmd_submit_wait(ctx, cmd);
	vk_return_if_failed(ctx);
	vk_ok(ctx, vkDeviceWaitIdle(ctx->dev));
	vk_buf_destroy(ctx, &b);
}

/* Timeline semaphores (VK_KHR_timeline_semaphore): host signal and query; a submit that waits for a point the host
 * signals afterwards (wait-before-signal) and signals the next, then a submit signalling a third with a fence. */
static void timeline_semaphore(struct vk_ctx *ctx)
{
	PFN_vkGetSemaphoreCounterValueKHR get_value;
	PFN_vkWaitSemaphoresKHR wait;
	PFN_vkSignalSemaphoreKHR signal;
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkSemaphoreTypeCreateInfoKHR type = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO_KHR,
		.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE_KHR,
		.initialValue = 5,
	};
	const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &type };
	VkSemaphore sem;
	VkFence fence;
	uint64_t value = 0;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	get_value = (PFN_vkGetSemaphoreCounterValueKHR)vkGetDeviceProcAddr(ctx->dev, "vkGetSemaphoreCounterValueKHR");
	wait = (PFN_vkWaitSemaphoresKHR)vkGetDeviceProcAddr(ctx->dev, "vkWaitSemaphoresKHR");
	signal = (PFN_vkSignalSemaphoreKHR)vkGetDeviceProcAddr(ctx->dev, "vkSignalSemaphoreKHR");
	vk_check_f(ctx, get_value && wait && signal, "VK_KHR_timeline_semaphore entry points missing");

	vk_ok(ctx, vkCreateSemaphore(ctx->dev, &sci, NULL, &sem));
	vk_ok(ctx, get_value(ctx->dev, sem, &value));
	vk_check_eq(ctx, value, 5);
	const VkSemaphoreSignalInfoKHR s7 = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO_KHR,
		.semaphore = sem,
		.value = 7,
	};
	vk_ok(ctx, signal(ctx->dev, &s7));
	vk_ok(ctx, get_value(ctx->dev, sem, &value));
	vk_check_eq(ctx, value, 7);

	uint64_t v8 = 8, v9 = 9, v10 = 10;
	VkSemaphoreWaitInfoKHR wi = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO_KHR,
		.semaphoreCount = 1,
		.pSemaphores = &sem,
		.pValues = &v8,
	};
	vk_check_eq(ctx, wait(ctx->dev, &wi, 0), VK_TIMEOUT);

	/* Waits for 8 (not yet signalled by anyone), signals 9. */
	const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
	const VkTimelineSemaphoreSubmitInfoKHR t1 = {
		.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO_KHR,
		.waitSemaphoreValueCount = 1,
		.pWaitSemaphoreValues = &v8,
		.signalSemaphoreValueCount = 1,
		.pSignalSemaphoreValues = &v9,
	};
	const VkSubmitInfo si1 = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = &t1,
		.waitSemaphoreCount = 1,
		.pWaitSemaphores = &sem,
		.pWaitDstStageMask = &stage,
		.signalSemaphoreCount = 1,
		.pSignalSemaphores = &sem,
	};
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &si1, VK_NULL_HANDLE));
	wi.pValues = &v9;
	vk_check_eq(ctx, wait(ctx->dev, &wi, 0), VK_TIMEOUT);
	vk_ok(ctx, get_value(ctx->dev, sem, &value));
	vk_check_eq(ctx, value, 7);
	const VkSemaphoreSignalInfoKHR s8 = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO_KHR,
		.semaphore = sem,
		.value = 8,
	};
	vk_ok(ctx, signal(ctx->dev, &s8));
	vk_ok(ctx, wait(ctx->dev, &wi, VK_LITE_TIMEOUT_NS));
	vk_ok(ctx, get_value(ctx->dev, sem, &value));
	vk_check_f(ctx, value >= 9, "counter %llu after waiting for 9", (unsigned long long)value);

	/* Signals 10 with a fence. */
	const VkTimelineSemaphoreSubmitInfoKHR t2 = {
		.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO_KHR,
		.signalSemaphoreValueCount = 1,
		.pSignalSemaphoreValues = &v10,
	};
	const VkSubmitInfo si2 = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = &t2,
		.signalSemaphoreCount = 1,
		.pSignalSemaphores = &sem,
	};
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence));
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &si2, fence));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS));
	wi.pValues = &v10;
	vk_ok(ctx, wait(ctx->dev, &wi, VK_LITE_TIMEOUT_NS));
	vk_ok(ctx, get_value(ctx->dev, sem, &value));
	vk_check_eq(ctx, value, 10);
	vkDestroyFence(ctx->dev, fence, NULL);
	vkDestroySemaphore(ctx->dev, sem, NULL);
}

static const struct vk_subtest tests[] = {
	{ "physical-device", physical_device },
	{ "matches-dev-query", matches_dev_query },
	{ "device-and-queue", device_and_queue },
	{ "memory-map-readback", memory_map_readback },
	{ "fence-states", fence_states },
	{ "barrier-submit-fence", barrier_submit_fence },
	{ "update-buffer-submits", update_buffer_submits },
	{ "timeline-semaphore", timeline_semaphore },
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--info") == 0)
		return info();
	return vk_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
