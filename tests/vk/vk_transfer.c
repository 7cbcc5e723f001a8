/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * vkCmdFillBuffer, vkCmdUpdateBuffer and vkCmdCopyBuffer (panvk runs all three as compute shaders of its own on the
 * model's shader core) over a boundary-value set of sizes from 4 bytes to 64 MiB and of the 4-byte-aligned offsets
 * panvk accepts. Every buffer starts as a byte pattern, the expected contents are built on the CPU independently
 * (memset/memcpy over a copy of the starting bytes), and every byte of the buffer is compared afterwards, so a write
 * one word short, one word long or at the wrong place fails with the case, the first bad byte and the count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vk_lite.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
/* Bytes of untouched pattern kept after every written range, so an overrun has something to land on. */
#define GUARD 64u

/* A byte pattern that differs between neighbouring bytes and between the buffers (seed), never all-equal words. */
static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Compares `n` bytes; on a mismatch fails the subtest naming the case, the first bad byte and the count. */
static void check_bytes(struct vk_ctx *ctx, const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
	size_t bad = 0, first = 0;

	if (!memcmp(got, want, n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (got[i] != want[i] && !bad++)
			first = i;
	}
	vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "%s: %zu of %zu bytes wrong; first [%zu] = 0x%02x, want 0x%02x",
		  what, bad, n, first, got[first], want[first]);
}

static void *xmalloc(struct vk_ctx *ctx, size_t n)
{
	void *p = malloc(n);

	if (!p)
		vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__, "malloc(%zu) failed", n);
	return p;
}

/* vkCmdFillBuffer of `size` bytes (or VK_WHOLE_SIZE) at `offset` in a buffer of `buf_size` bytes, as `pieces`
 * consecutive fills each submitted on its own (one piece: one command). */
static void fill_case(struct vk_ctx *ctx, VkDeviceSize offset, VkDeviceSize size, VkDeviceSize buf_size,
		      uint32_t value, uint32_t pieces)
{
	struct vk_buf b;
	char what[96];
	uint8_t *want;
	VkCommandBuffer cmd;
	VkDeviceSize n = size == VK_WHOLE_SIZE ? (buf_size - offset) & ~3ull : size;

	snprintf(what, sizeof(what), "fill offset %llu size %llu of %llu", (unsigned long long)offset,
		 (unsigned long long)n, (unsigned long long)buf_size);
	vk_buf_create(ctx, &b, buf_size, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	want = xmalloc(ctx, buf_size);
	if (want) {
		pattern(b.map, buf_size, (uint32_t)(offset + n));
		memcpy(want, b.map, buf_size);
		for (VkDeviceSize i = 0; i < n; i += 4)
			memcpy(want + offset + i, &value, 4);
		for (uint32_t p = 0; p < pieces && ctx->result == VK_LITE_SUCCESS; p++) {
			VkDeviceSize step = n / pieces, at = offset + p * step;

			cmd = vk_cmd_begin(ctx);
			if (ctx->result != VK_LITE_SUCCESS)
				break;
			vkCmdFillBuffer(cmd, b.buf, at, pieces == 1 ? size : p + 1 < pieces ? step : n - p * step,
					value);
			vk_cmd_submit_wait(ctx, cmd);
		}
		if (ctx->result == VK_LITE_SUCCESS)
			check_bytes(ctx, what, b.map, want, buf_size);
		free(want);
	}
	vk_buf_destroy(ctx, &b);
}

/* The sizes and offsets every small case crosses: one word, around the 16-byte vector the meta shaders store, around
 * a 64-lane warp's 256 bytes, around a 4 KiB page. */
static const uint32_t small_sizes[] = { 4, 8, 12, 16, 20, 60, 64, 68, 252, 256, 260, 1020, 4092, 4096, 4100 };
static const uint32_t offsets[] = { 0, 4, 8, 12, 16, 60, 252, 4092 };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void open_compute(struct vk_ctx *ctx)
{
	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
}

/* Every small size at every offset. */
static void fill_small(struct vk_ctx *ctx)
{
	open_compute(ctx);
	for (size_t s = 0; s < N(small_sizes) && ctx->result == VK_LITE_SUCCESS; s++)
		for (size_t o = 0; o < N(offsets) && ctx->result == VK_LITE_SUCCESS; o++)
			fill_case(ctx, offsets[o], small_sizes[s], offsets[o] + small_sizes[s] + GUARD,
				  0xa0000000u | (uint32_t)(s << 8 | o), 1);
}

/* VK_WHOLE_SIZE fills from the offset to the end rounded down to a word: buffer sizes that are not a multiple of 4
 * leave their last 1..3 bytes alone. */
static void fill_whole_size(struct vk_ctx *ctx)
{
	static const uint32_t sizes[] = { 4, 5, 7, 64, 66, 4097, 65539 };

	open_compute(ctx);
	for (size_t s = 0; s < N(sizes) && ctx->result == VK_LITE_SUCCESS; s++)
		for (size_t o = 0; o < 3 && ctx->result == VK_LITE_SUCCESS; o++)
			if (offsets[o] < sizes[s])
				fill_case(ctx, offsets[o], VK_WHOLE_SIZE, sizes[s], 0x5a5a0000u | (uint32_t)s, 1);
}

/* Large fills: 64 KiB and 1 MiB around their boundaries, 4 MiB in one command, and a whole 64 MiB buffer. The
 * model's shader core runs a 64 MiB fill (16 Mi invocations) in more than Panthor's 5 s job timeout, so that one is
 * eight fills of 8 MiB, each its own submission; the last word of the 64 MiB buffer and the tail fill at 64 MiB - 4 KiB
 * check offsets near the top. */
static void fill_large(struct vk_ctx *ctx)
{
	static const struct {
		uint32_t offset, size, buf_size, pieces;
	} cases[] = {
		{ 0, 64 * KIB, 64 * KIB + GUARD, 1 },
		{ 4, 64 * KIB - 4, 64 * KIB + GUARD, 1 },
		{ 12, 64 * KIB + 4, 64 * KIB + 16 + GUARD, 1 },
		{ 0, MIB - 4, MIB, 1 },
		{ 4092, MIB + 4, MIB + 4096 + GUARD, 1 },
		{ 4, 4 * MIB, 4 * MIB + 4 + GUARD, 1 },
		{ 64 * MIB - 4096, 4092, 64 * MIB, 1 },
		{ 0, 64 * MIB, 64 * MIB, 8 },
	};

	open_compute(ctx);
	for (size_t c = 0; c < N(cases) && ctx->result == VK_LITE_SUCCESS; c++)
		fill_case(ctx, cases[c].offset, cases[c].size, cases[c].buf_size, 0x0f1e2d3cu + (uint32_t)c,
			  cases[c].pieces);
}

/* One vkCmdUpdateBuffer of `size` bytes at `offset` (size <= 65536, the command's limit). */
static void update_case(struct vk_ctx *ctx, uint32_t offset, uint32_t size)
{
	struct vk_buf b;
	char what[96];
	uint32_t buf_size = offset + size + GUARD;
	uint8_t *want, *data;
	VkCommandBuffer cmd;

	snprintf(what, sizeof(what), "update offset %u size %u", offset, size);
	vk_buf_create(ctx, &b, buf_size, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	vk_return_if_failed(ctx);
	want = xmalloc(ctx, buf_size);
	data = xmalloc(ctx, size);
	if (want && data) {
		pattern(b.map, buf_size, offset ^ size);
		pattern(data, size, ~(offset + size));
		memcpy(want, b.map, buf_size);
		memcpy(want + offset, data, size);
		cmd = vk_cmd_begin(ctx);
		if (ctx->result == VK_LITE_SUCCESS) {
			vkCmdUpdateBuffer(cmd, b.buf, offset, size, data);
			vk_cmd_submit_wait(ctx, cmd);
		}
		if (ctx->result == VK_LITE_SUCCESS)
			check_bytes(ctx, what, b.map, want, buf_size);
	}
	free(want);
	free(data);
	vk_buf_destroy(ctx, &b);
}

static void update_small(struct vk_ctx *ctx)
{
	open_compute(ctx);
	for (size_t s = 0; s < N(small_sizes) && ctx->result == VK_LITE_SUCCESS; s++)
		for (size_t o = 0; o < N(offsets) && ctx->result == VK_LITE_SUCCESS; o++)
			update_case(ctx, offsets[o], small_sizes[s]);
}

/* The largest updates the command takes (65536 bytes), and one word less, at a few offsets. */
static void update_large(struct vk_ctx *ctx)
{
	static const uint32_t sizes[] = { 16 * KIB + 4, 65532, 65536 };

	open_compute(ctx);
	for (size_t s = 0; s < N(sizes) && ctx->result == VK_LITE_SUCCESS; s++)
		for (size_t o = 0; o < 3 && ctx->result == VK_LITE_SUCCESS; o++)
			update_case(ctx, offsets[o * 2], sizes[s]);
}

/* vkCmdCopyBuffer of the given regions from a patterned `src` of `src_size` bytes into a patterned `dst` of
 * `dst_size` bytes; both buffers are checked (the source must be untouched). */
static void copy_case(struct vk_ctx *ctx, const char *what, VkDeviceSize src_size, VkDeviceSize dst_size,
		      const VkBufferCopy *regions, uint32_t n, uint32_t pieces)
{
	struct vk_buf src, dst;
	uint8_t *want_src = NULL, *want_dst = NULL;
	VkCommandBuffer cmd;
	char name[128];

	vk_buf_create(ctx, &src, src_size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &dst, dst_size, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
	if (ctx->result == VK_LITE_SUCCESS) {
		want_src = xmalloc(ctx, src_size);
		want_dst = xmalloc(ctx, dst_size);
	}
	if (want_src && want_dst) {
		pattern(src.map, src_size, 1 + (uint32_t)src_size);
		pattern(dst.map, dst_size, 2 + (uint32_t)dst_size);
		memcpy(want_src, src.map, src_size);
		memcpy(want_dst, dst.map, dst_size);
		for (uint32_t r = 0; r < n; r++)
			memcpy(want_dst + regions[r].dstOffset, want_src + regions[r].srcOffset, regions[r].size);
		if (pieces == 1) {
			cmd = vk_cmd_begin(ctx);
			if (ctx->result == VK_LITE_SUCCESS) {
				vkCmdCopyBuffer(cmd, src.buf, dst.buf, n, regions);
				vk_cmd_submit_wait(ctx, cmd);
			}
		}
		/* Split (one region only): `pieces` consecutive parts, each its own submission. */
		for (uint32_t p = 0; pieces > 1 && p < pieces && ctx->result == VK_LITE_SUCCESS; p++) {
			VkDeviceSize step = regions[0].size / pieces;
			const VkBufferCopy part = {
				regions[0].srcOffset + p * step,
				regions[0].dstOffset + p * step,
				p + 1 < pieces ? step : regions[0].size - p * step,
			};

			cmd = vk_cmd_begin(ctx);
			if (ctx->result != VK_LITE_SUCCESS)
				break;
			vkCmdCopyBuffer(cmd, src.buf, dst.buf, 1, &part);
			vk_cmd_submit_wait(ctx, cmd);
		}
		if (ctx->result == VK_LITE_SUCCESS) {
			snprintf(name, sizeof(name), "%s: dst", what);
			check_bytes(ctx, name, dst.map, want_dst, dst_size);
		}
		if (ctx->result == VK_LITE_SUCCESS) {
			snprintf(name, sizeof(name), "%s: src untouched", what);
			check_bytes(ctx, name, src.map, want_src, src_size);
		}
	}
	free(want_src);
	free(want_dst);
	vk_buf_destroy(ctx, &src);
	vk_buf_destroy(ctx, &dst);
}

/* Every small size, with source and destination offsets that differ (so the two sides are misaligned to each other
 * by every multiple of 4 below 16 and across a page). */
static void copy_small(struct vk_ctx *ctx)
{
	char what[96];

	open_compute(ctx);
	for (size_t s = 0; s < N(small_sizes) && ctx->result == VK_LITE_SUCCESS; s++)
		for (size_t o = 0; o < N(offsets) && ctx->result == VK_LITE_SUCCESS; o++) {
			uint32_t so = offsets[o], dof = offsets[(o + 3) % N(offsets)], size = small_sizes[s];
			const VkBufferCopy region = { so, dof, size };

			snprintf(what, sizeof(what), "copy src offset %u dst offset %u size %u", so, dof, size);
			copy_case(ctx, what, so + size + GUARD, dof + size + GUARD, &region, 1, 1);
		}
}

/* Several regions in one command: adjacent, out of order, one word long, and all into one destination. */
static void copy_regions(struct vk_ctx *ctx)
{
	const VkBufferCopy regions[] = {
		{ 0, 8192, 4 },	       { 4, 8196, 60 },	 { 4096, 0, 4096 }, { 12, 4100, 252 },
		{ 8000, 12000, 1000 }, { 100, 20000, 8 },
	};

	open_compute(ctx);
	copy_case(ctx, "copy 6 regions", 16 * KIB, 32 * KIB, regions, N(regions), 1);
}

/* Large copies: a 64 KiB and 1 MiB boundary set (each chunk size panvk picks: 16, 8 and 4 bytes), 4 MiB in one
 * command, and 64 MiB as eight 8 MiB copies in their own submissions (in one command the model's shader core takes
 * longer than Panthor's 5 s job timeout). */
static void copy_large(struct vk_ctx *ctx)
{
	static const struct {
		uint32_t src_offset, dst_offset, size, pieces;
	} cases[] = {
		{ 0, 0, 64 * KIB, 1 },	 { 8, 8, 64 * KIB + 8, 1 }, { 4, 8, 64 * KIB + 4, 1 },
		{ 4092, 12, MIB - 4, 1 }, { 0, 4, MIB + 4, 1 },	    { 16, 32, 4 * MIB, 1 },
		{ 0, 0, 64 * MIB, 8 },
	};
	char what[96];

	open_compute(ctx);
	for (size_t c = 0; c < N(cases) && ctx->result == VK_LITE_SUCCESS; c++) {
		const VkBufferCopy region = { cases[c].src_offset, cases[c].dst_offset, cases[c].size };

		snprintf(what, sizeof(what), "copy src offset %u dst offset %u size %u", cases[c].src_offset,
			 cases[c].dst_offset, cases[c].size);
		copy_case(ctx, what, (VkDeviceSize)cases[c].src_offset + cases[c].size + GUARD,
			  (VkDeviceSize)cases[c].dst_offset + cases[c].size + GUARD, &region, 1, cases[c].pieces);
	}
}

static const struct vk_subtest tests[] = {
	{ "fill-small", fill_small },	  { "fill-whole-size", fill_whole_size },
	{ "fill-large", fill_large },	  { "update-small", update_small },
	{ "update-large", update_large }, { "copy-small", copy_small },
	{ "copy-regions", copy_regions }, { "copy-large", copy_large },
};

int main(int argc, char **argv)
{
	return vk_main(argc, argv, tests, N(tests));
}
