/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Work that needs the GPU to run shaders: panvk does vkCmdFillBuffer, vkCmdCopyBuffer and vkCmdUpdateBuffer with
 * compute shaders of its own, and the dispatch runs ours (shaders/times3.comp, out[i] = in[i] * 3 + i over 4096
 * elements in workgroups of 64). Every byte of every result is checked; a mismatch names the subtest, the first bad
 * element, what it holds and what was expected, and how many elements are wrong.
 */
#include <stdio.h>
#include <string.h>

#include "lib/vk_lite.h"
#include "shaders/times3.spv.h"

#define ELEMS 4096u
#define WORKGROUP 64u

/* Checks `n` words of `got` against want(i); reports the first mismatch and the number of mismatches. */
#define check_words(ctx, what, got, n, want_expr)                                                       \
	do {                                                                                             \
		const uint32_t *g_ = (const uint32_t *)(got);                                            \
		uint32_t bad_ = 0, first_ = 0, first_got_ = 0, first_want_ = 0;                          \
		for (uint32_t i = 0; i < (n); i++) {                                                     \
			uint32_t w_ = (want_expr);                                                       \
			if (g_[i] != w_) {                                                               \
				if (!bad_++) {                                                           \
					first_ = i;                                                      \
					first_got_ = g_[i];                                              \
					first_want_ = w_;                                                \
				}                                                                        \
			}                                                                                \
		}                                                                                        \
		vk_check_f(ctx, bad_ == 0, "%s: %u of %u words wrong; first [%u] = 0x%08x, want 0x%08x", what,  \
			   bad_, (uint32_t)(n), first_, first_got_, first_want_);                        \
	} while (0)

static void open_compute(struct vk_ctx *ctx)
{
	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
}

/* vkCmdFillBuffer over the middle of a buffer: the filled range holds the value, the words around it keep theirs. */
static void fill_buffer(struct vk_ctx *ctx)
{
	struct vk_buf b;
	VkCommandBuffer cmd;

	open_compute(ctx);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &b, ELEMS * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	memset(b.map, 0x11, ELEMS * 4);
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vkCmdFillBuffer(cmd, b.buf, 256, ELEMS * 4 - 512, 0xf00dcafe);
	vk_cmd_submit_wait(ctx, cmd);
	vk_return_if_failed(ctx);
	check_words(ctx, "fill", b.map, ELEMS, (i < 64 || i >= ELEMS - 64) ? 0x11111111u : 0xf00dcafeu);
	vk_buf_destroy(ctx, &b);
}

/* vkCmdCopyBuffer of two regions between two buffers; the words outside the regions keep their values. */
static void copy_buffer(struct vk_ctx *ctx)
{
	struct vk_buf src, dst;
	VkCommandBuffer cmd;
	const VkBufferCopy regions[] = {
		{ .srcOffset = 0, .dstOffset = 1024, .size = 4096 },
		{ .srcOffset = 8192, .dstOffset = 8192, .size = ELEMS * 4 - 8192 },
	};

	open_compute(ctx);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &src, ELEMS * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &dst, ELEMS * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	for (uint32_t i = 0; i < ELEMS; i++) {
		((uint32_t *)src.map)[i] = 0xa5000000u | i;
		((uint32_t *)dst.map)[i] = 0x22222222u;
	}
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vkCmdCopyBuffer(cmd, src.buf, dst.buf, 2, regions);
	vk_cmd_submit_wait(ctx, cmd);
	vk_return_if_failed(ctx);
	/* dst words 256..1279 come from src 0..1023; words 2048.. from src 2048..; the rest stays. */
	check_words(ctx, "copy", dst.map, ELEMS,
		    (i >= 256 && i < 1280)   ? (0xa5000000u | (i - 256))
		    : i >= 2048 ? (0xa5000000u | i)
				: 0x22222222u);
	vk_buf_destroy(ctx, &src);
	vk_buf_destroy(ctx, &dst);
}

/* vkCmdUpdateBuffer of 256 bytes at offset 256. */
static void update_buffer(struct vk_ctx *ctx)
{
	uint32_t data[64];
	struct vk_buf b;
	VkCommandBuffer cmd;

	open_compute(ctx);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &b, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	memset(b.map, 0x33, 4096);
	for (uint32_t i = 0; i < 64; i++)
		data[i] = 0xc0de0000u + i;
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vkCmdUpdateBuffer(cmd, b.buf, 256, sizeof(data), data);
	vk_cmd_submit_wait(ctx, cmd);
	vk_return_if_failed(ctx);
	check_words(ctx, "update", b.map, 1024, (i >= 64 && i < 128) ? 0xc0de0000u + (i - 64) : 0x33333333u);
	vk_buf_destroy(ctx, &b);
}

/* Our compute shader: a pipeline with two storage buffers, dispatched as ELEMS / WORKGROUP workgroups. */
static void dispatch_times3(struct vk_ctx *ctx)
{
	struct vk_buf in, out;
	struct vk_compute pipe = { 0 };
	VkCommandBuffer cmd;

	open_compute(ctx);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &in, ELEMS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &out, ELEMS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
	vk_return_if_failed(ctx);
	for (uint32_t i = 0; i < ELEMS; i++) {
		((uint32_t *)in.map)[i] = i ^ 0x5555u;
		((uint32_t *)out.map)[i] = 0xdeaddeadu;
	}
	vk_compute_create(ctx, &pipe, times3_spv, sizeof(times3_spv), &in, &out);
	vk_return_if_failed(ctx);
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vk_compute_record(&pipe, cmd, NULL, 0, ELEMS / WORKGROUP);
	vk_cmd_submit_wait(ctx, cmd);
	vk_return_if_failed(ctx);
	check_words(ctx, "dispatch out[i] = in[i] * 3 + i", out.map, ELEMS, (i ^ 0x5555u) * 3u + i);
	check_words(ctx, "dispatch input untouched", in.map, ELEMS, i ^ 0x5555u);

	vk_compute_destroy(ctx, &pipe);
	vk_buf_destroy(ctx, &in);
	vk_buf_destroy(ctx, &out);
}

static const struct vk_subtest tests[] = {
	{ "fill-buffer", fill_buffer },
	{ "copy-buffer", copy_buffer },
	{ "update-buffer", update_buffer },
	{ "dispatch-times3", dispatch_times3 },
};

int main(int argc, char **argv)
{
	return vk_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
