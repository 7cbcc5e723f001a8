/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Sharing through file descriptors with panvk on the modelled Mali-G610: memory exported as a dma-buf by one device
 * and imported by another, and semaphores and fences exported as sync_files and imported again.
 */
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

#include "lib/vk_lite.h"

/* Whether `fd` becomes readable (a signalled sync_file) within the bound. */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, (int)(VK_LITE_TIMEOUT_NS / 1000000)) == 1 && (p.revents & POLLIN);
}

/* Memory exported as a dma-buf by one device and imported by a second one: the dma-buf's size (what panvk's import
 * reads with lseek) is the allocation's, and both mappings see the same bytes in both directions. */
static void external_memory_dma_buf(struct vk_ctx *ctx)
{
	const VkDeviceSize size = 64 << 10;
	struct vk_ctx *other;
	PFN_vkGetMemoryFdKHR get_fd;
	VkDeviceMemory mem = VK_NULL_HANDLE, imported = VK_NULL_HANDLE;
	uint32_t *a, *b;
	int fd = -1;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	other = vk_open_peer(ctx, VK_QUEUE_COMPUTE_BIT);
	if (!other)
		return;
	get_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(ctx->dev, "vkGetMemoryFdKHR");
	vk_check(ctx, get_fd != NULL);

	const VkExportMemoryAllocateInfo export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	const VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &export,
		.allocationSize = size,
		.memoryTypeIndex = 0,
	};
	vk_ok(ctx, vkAllocateMemory(ctx->dev, &mai, NULL, &mem));
	vk_ok(ctx, vkMapMemory(ctx->dev, mem, 0, VK_WHOLE_SIZE, 0, (void **)&a));
	for (uint32_t i = 0; i < size / 4; i++)
		a[i] = 0xd0000000u | i;
	const VkMemoryGetFdInfoKHR gfi = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = mem,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	vk_ok(ctx, get_fd(ctx->dev, &gfi, &fd));
	vk_check(ctx, fd >= 0);
	vk_check_eq(ctx, lseek(fd, 0, SEEK_END), (off_t)size);

	const VkImportMemoryFdInfoKHR import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		.fd = fd,
	};
	const VkMemoryAllocateInfo imai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &import,
		.allocationSize = size,
		.memoryTypeIndex = 0,
	};
	VkResult r = vkAllocateMemory(other->dev, &imai, NULL, &imported);
	if (r != VK_SUCCESS)
		close(fd); /* the import owns the fd only when it succeeds */
	vk_check_f(ctx, r == VK_SUCCESS, "import: %s", vk_result_name(r));
	vk_ok(ctx, vkMapMemory(other->dev, imported, 0, VK_WHOLE_SIZE, 0, (void **)&b));
	for (uint32_t i = 0; i < size / 4; i++)
		vk_check_f(ctx, b[i] == (0xd0000000u | i), "imported word %u: 0x%08x", i, b[i]);
	for (uint32_t i = 0; i < size / 4; i += 1024)
		b[i] = ~b[i];
	for (uint32_t i = 0; i < size / 4; i += 1024)
		vk_check_f(ctx, a[i] == ~(0xd0000000u | i), "exporter does not see word %u written by the importer", i);

	vkFreeMemory(other->dev, imported, NULL);
	vkFreeMemory(ctx->dev, mem, NULL);
}

/* A binary semaphore signalled by a submit and exported as a sync_file: the fd polls readable, and imported into a
 * second semaphore it gates a submit whose fence then signals. */
static void external_semaphore_sync_fd(struct vk_ctx *ctx)
{
	PFN_vkGetSemaphoreFdKHR get_fd;
	PFN_vkImportSemaphoreFdKHR import_fd;
	const VkExportSemaphoreCreateInfo export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
	};
	const VkSemaphoreCreateInfo esci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &export };
	const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
	VkSemaphore sem, sem2;
	VkFence fence;
	VkCommandBuffer cmd;
	int fd = -1;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	get_fd = (PFN_vkGetSemaphoreFdKHR)vkGetDeviceProcAddr(ctx->dev, "vkGetSemaphoreFdKHR");
	import_fd = (PFN_vkImportSemaphoreFdKHR)vkGetDeviceProcAddr(ctx->dev, "vkImportSemaphoreFdKHR");
	vk_check(ctx, get_fd && import_fd);
	vk_ok(ctx, vkCreateSemaphore(ctx->dev, &esci, NULL, &sem));
	vk_ok(ctx, vkCreateSemaphore(ctx->dev, &sci, NULL, &sem2));
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence));

	/* A real GPU job (a barrier-only command buffer) signals the semaphore. */
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vk_ok(ctx, vkEndCommandBuffer(cmd));
	const VkSubmitInfo s1 = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
		.signalSemaphoreCount = 1,
		.pSignalSemaphores = &sem,
	};
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &s1, VK_NULL_HANDLE));
	const VkSemaphoreGetFdInfoKHR gfi = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
		.semaphore = sem,
		.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
	};
	vk_ok(ctx, get_fd(ctx->dev, &gfi, &fd));
	vk_check_f(ctx, fd >= 0 && readable(fd), "exported sync_file %d never became readable", fd);

	const VkImportSemaphoreFdInfoKHR ifi = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR,
		.semaphore = sem2,
		.flags = VK_SEMAPHORE_IMPORT_TEMPORARY_BIT,
		.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
		.fd = fd,
	};
	VkResult r = import_fd(ctx->dev, &ifi);
	if (r != VK_SUCCESS)
		close(fd);
	vk_check_f(ctx, r == VK_SUCCESS, "vkImportSemaphoreFdKHR: %s", vk_result_name(r));
	const VkSubmitInfo s2 = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.waitSemaphoreCount = 1,
		.pWaitSemaphores = &sem2,
		.pWaitDstStageMask = &stage,
	};
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &s2, fence));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS));
	vk_ok(ctx, vkQueueWaitIdle(ctx->queue));
	vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cmd);
	vkDestroyFence(ctx->dev, fence, NULL);
	vkDestroySemaphore(ctx->dev, sem, NULL);
	vkDestroySemaphore(ctx->dev, sem2, NULL);
}

/* A fence of a submit exported as a sync_file polls readable, and imported into a fresh fence reads as signalled. */
static void external_fence_sync_fd(struct vk_ctx *ctx)
{
	PFN_vkGetFenceFdKHR get_fd;
	PFN_vkImportFenceFdKHR import_fd;
	const VkExportFenceCreateInfo export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT,
	};
	const VkFenceCreateInfo efci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .pNext = &export };
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkFence fence, fence2;
	VkCommandBuffer cmd;
	int fd = -1;

	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	get_fd = (PFN_vkGetFenceFdKHR)vkGetDeviceProcAddr(ctx->dev, "vkGetFenceFdKHR");
	import_fd = (PFN_vkImportFenceFdKHR)vkGetDeviceProcAddr(ctx->dev, "vkImportFenceFdKHR");
	vk_check(ctx, get_fd && import_fd);
	vk_ok(ctx, vkCreateFence(ctx->dev, &efci, NULL, &fence));
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence2));
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vk_ok(ctx, vkEndCommandBuffer(cmd));
	const VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	vk_ok(ctx, vkQueueSubmit(ctx->queue, 1, &si, fence));
	const VkFenceGetFdInfoKHR gfi = {
		.sType = VK_STRUCTURE_TYPE_FENCE_GET_FD_INFO_KHR,
		.fence = fence,
		.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT,
	};
	vk_ok(ctx, get_fd(ctx->dev, &gfi, &fd));
	vk_check_f(ctx, fd >= 0 && readable(fd), "exported sync_file %d never became readable", fd);
	const VkImportFenceFdInfoKHR ifi = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR,
		.fence = fence2,
		.flags = VK_FENCE_IMPORT_TEMPORARY_BIT,
		.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT,
		.fd = fd,
	};
	VkResult r = import_fd(ctx->dev, &ifi);
	if (r != VK_SUCCESS)
		close(fd);
	vk_check_f(ctx, r == VK_SUCCESS, "vkImportFenceFdKHR: %s", vk_result_name(r));
	vk_ok(ctx, vkGetFenceStatus(ctx->dev, fence2));
	vk_ok(ctx, vkWaitForFences(ctx->dev, 1, &fence2, VK_TRUE, 0));
	vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cmd);
	vkDestroyFence(ctx->dev, fence, NULL);
	vkDestroyFence(ctx->dev, fence2, NULL);
}

static const struct vk_subtest tests[] = {
	{ "external-memory-dma-buf", external_memory_dma_buf },
	{ "external-semaphore-sync-fd", external_semaphore_sync_fd },
	{ "external-fence-sync-fd", external_fence_sync_fd },
};

int main(int argc, char **argv)
{
	return vk_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
