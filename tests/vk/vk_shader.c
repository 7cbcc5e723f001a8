/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Compute pipelines from SPIR-V (shaders/NAME.comp, compiled into NAME.spv.h by scripts/gen-spirv.sh) run by the
 * model's shader core through panvk, each result checked word for word against a value this file computes on the
 * CPU on its own: ivec4/uvec4/vec4 arithmetic (division, modulo, shifts, bit ops, min/max/clamp/abs/mix, float to
 * integer conversions), loops and branches that diverge inside a warp, a workgroup reduction through shared memory
 * and barriers, buffer atomics with their returned values, and push constants.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vk_lite.h"
#include "shaders/alu_float.spv.h"
#include "shaders/alu_int.spv.h"
#include "shaders/alu_uint.spv.h"
#include "shaders/atomics.spv.h"
#include "shaders/convert.spv.h"
#include "shaders/diverge.spv.h"
#include "shaders/oob_store.spv.h"
#include "shaders/push.spv.h"
#include "shaders/reduce.spv.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* What the output buffer holds before a dispatch: a word no check expects. */
#define POISON 0xdeadbeefu

/* One dispatch on ctx's device (opened by run_job, or already open) of a shader with storage buffers `in` (binding
 * 0) and `out` (binding 1), `push_size` bytes of push constants and `groups` workgroups along X. `in` is read back
 * after the dispatch (the atomics shader writes it); `out` starts as POISON words. */
struct job {
	const uint32_t *spv;
	size_t spv_size;
	void *in;
	size_t in_size;
	void *out;
	size_t out_size;
	const void *push;
	uint32_t push_size;
	uint32_t groups;
	/* When set: the submission is expected to fail; its VkResult (the first of submit, fence wait and fence status
	 * that is not VK_SUCCESS) lands here instead of failing the subtest. */
	VkResult *fault;
};

static void submit_expecting_fault(struct vk_ctx *ctx, VkCommandBuffer cmd, VkResult *fault)
{
	const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	const VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	VkFence fence = VK_NULL_HANDLE;

	vk_ok(ctx, vkEndCommandBuffer(cmd));
	vk_ok(ctx, vkCreateFence(ctx->dev, &fci, NULL, &fence));
	*fault = vkQueueSubmit(ctx->queue, 1, &si, fence);
	if (*fault == VK_SUCCESS)
		*fault = vkWaitForFences(ctx->dev, 1, &fence, VK_TRUE, VK_LITE_TIMEOUT_NS);
	if (*fault == VK_SUCCESS)
		*fault = vkGetFenceStatus(ctx->dev, fence);
	vkDestroyFence(ctx->dev, fence, NULL);
	/* A lost device keeps its command buffers; vk_close_device frees the pool. */
}

static void run_job_on(struct vk_ctx *ctx, struct job *j)
{
	struct vk_buf in = { 0 }, out = { 0 };
	struct vk_compute pipe = { 0 };
	VkCommandBuffer cmd;

	vk_buf_create(ctx, &in, j->in_size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
	vk_return_if_failed(ctx);
	vk_buf_create(ctx, &out, j->out_size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
	vk_return_if_failed(ctx);
	memcpy(in.map, j->in, j->in_size);
	for (size_t k = 0; k < j->out_size / 4; k++)
		((uint32_t *)out.map)[k] = POISON;

	vk_compute_create(ctx, &pipe, j->spv, j->spv_size, &in, &out);
	vk_return_if_failed(ctx);
	cmd = vk_cmd_begin(ctx);
	vk_return_if_failed(ctx);
	vk_compute_record(&pipe, cmd, j->push, j->push_size, j->groups);
	if (j->fault)
		submit_expecting_fault(ctx, cmd, j->fault);
	else
		vk_cmd_submit_wait(ctx, cmd);
	if (ctx->result == VK_LITE_SUCCESS) {
		memcpy(j->in, in.map, j->in_size);
		memcpy(j->out, out.map, j->out_size);
	}

	vk_compute_destroy(ctx, &pipe);
	vk_buf_destroy(ctx, &in);
	vk_buf_destroy(ctx, &out);
}

static void run_job(struct vk_ctx *ctx, struct job *j)
{
	vk_open_device(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	run_job_on(ctx, j);
}

/* Compares `n` words; names the result (`names[k % per]` of invocation k / per, lane) of the first mismatch. */
static void check_words(struct vk_ctx *ctx, const char *what, const uint32_t *got, const uint32_t *want, size_t n,
			const char *const *names, size_t per)
{
	size_t bad = 0, first = 0;

	for (size_t k = 0; k < n; k++) {
		if (got[k] != want[k] && !bad++)
			first = k;
	}
	if (!bad)
		return;
	/* Words are grouped as vec4s: word k is lane k % 4 of result (k / 4) % per of invocation k / (4 * per). */
	vk_report(ctx, VK_LITE_FAIL, __FILE__, __LINE__,
		  "%s: %zu of %zu words wrong; first: invocation %zu %s lane %zu = 0x%08x, want 0x%08x", what, bad, n,
		  first / (4 * per), names ? names[(first / 4) % per] : "word", first % 4, got[first], want[first]);
}

/* A deterministic generator for inputs. */
static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define INV 256u
#define GROUPS (INV / 64u)

/* Inputs that hit the edges: 0, ±1, INT_MIN/INT_MAX, powers of two, then random words. */
static const uint32_t edges[] = { 0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu, 2, 0xfffffffeu, 0x10000u,
				  31,  32, 33, 1000, 0xfffffc18u, 7,	     0xfffffff9u, 0x55555555u };

static void make_int_inputs(uint32_t *in, int avoid_zero)
{
	uint32_t s = 0x1234567u;

	for (uint32_t k = 0; k < INV * 8; k++) {
		uint32_t v = rng(&s);

		/* a lanes: edges cycled with random words; b lanes: edges and small and large random values. */
		if ((k / 4) % 2 == 0)
			v = (k / 8) % 3 == 0 ? edges[(k / 8 + k % 4) % N(edges)] : v;
		else
			v = (k / 8) % 3 == 1 ? edges[(k / 8 * 3 + k % 4) % N(edges)] : (k % 3 ? v : v % 100);
		in[k] = v;
	}
	/* b never 0; b never -1 where a is INT_MIN (division overflow is undefined). */
	for (uint32_t i = 0; i < INV; i++)
		for (uint32_t l = 0; l < 4; l++) {
			uint32_t *a = &in[8 * i + l], *b = &in[8 * i + 4 + l];

			if (avoid_zero && *b == 0)
				*b = 3;
			if (*a == 0x80000000u && *b == 0xffffffffu)
				*b = 5;
		}
}

static const char *const int_names[] = { "a+b", "a-b", "a*b", "a/b", "a%b",  "min",   "max", "abs",
					 "clamp", "a<<s", "a>>s", "a&b", "a|b", "a^b", "~a", "cmp" };

static void alu_int(struct vk_ctx *ctx)
{
	static uint32_t in[INV * 8], out[INV * 64], want[INV * 64];
	struct job j = { alu_int_spv, sizeof(alu_int_spv), in, sizeof(in), out, sizeof(out), NULL, 0, GROUPS, NULL };

	make_int_inputs(in, 1);
	for (uint32_t i = 0; i < INV; i++)
		for (uint32_t l = 0; l < 4; l++) {
			int32_t a = (int32_t)in[8 * i + l], b = (int32_t)in[8 * i + 4 + l];
			int32_t ay = (int32_t)in[8 * i + (l + 1) % 4];
			uint32_t ua = (uint32_t)a, ub = (uint32_t)b, s = ub & 31, *w = &want[64 * i + l];
			/* OpSMod: the remainder takes the divisor's sign. */
			int32_t rem = a % b;

			if (rem != 0 && ((rem < 0) != (b < 0)))
				rem += b;
			w[0] = ua + ub;
			w[4] = ua - ub;
			w[8] = ua * ub;
			w[12] = (uint32_t)(a / b);
			w[16] = (uint32_t)rem;
			w[20] = (uint32_t)(a < b ? a : b);
			w[24] = (uint32_t)(a > b ? a : b);
			w[28] = a < 0 ? 0u - ua : ua;
			w[32] = (uint32_t)(a < -1000 ? -1000 : a > 1000 ? 1000 : a);
			w[36] = ua << s;
			w[40] = (uint32_t)(a >> s);
			w[44] = ua & ub;
			w[48] = ua | ub;
			w[52] = ua ^ ub;
			w[56] = ~ua;
			w[60] = (uint32_t)(a < b) + 2u * (uint32_t)(a == b) - (uint32_t)ay;
		}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "ivec4", out, want, N(out), int_names, 16);
}

static const char *const uint_names[] = { "a+b",  "a-b",  "a*b",    "a/b",     "a%b",	  "min",   "max",
					  "clamp", "a<<s", "a>>s", "bitsel", "a^(b|16)", "a/7+a%10", "cmp" };

static void alu_uint(struct vk_ctx *ctx)
{
	static uint32_t in[INV * 8], out[INV * 56], want[INV * 56];
	struct job j = { alu_uint_spv, sizeof(alu_uint_spv), in, sizeof(in), out, sizeof(out), NULL, 0, GROUPS, NULL };

	make_int_inputs(in, 1);
	for (uint32_t i = 0; i < INV; i++)
		for (uint32_t l = 0; l < 4; l++) {
			uint32_t a = in[8 * i + l], b = in[8 * i + 4 + l], s = b & 31, *w = &want[56 * i + l];

			w[0] = a + b;
			w[4] = a - b;
			w[8] = a * b;
			w[12] = a / b;
			w[16] = a % b;
			w[20] = a < b ? a : b;
			w[24] = a > b ? a : b;
			w[28] = a < 1000 ? 1000 : a > 0x80000000u ? 0x80000000u : a;
			w[32] = a << s;
			w[36] = a >> s;
			w[40] = (a & b) | (~a & 0xff00ff00u);
			w[44] = a ^ (b | 0x10u);
			w[48] = a / 7 + a % 10;
			w[52] = (uint32_t)(a >= b) * 3u + (a >> 28);
		}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "uvec4", out, want, N(out), uint_names, 14);
}

static uint32_t fbits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static const char *const float_names[] = { "a+b", "a-b",    "a*b",	"mix(a,b,.25)", "clamp", "min",
					   "max", "|a|-b", "int(a)", "uint(|a|)",    "float(int(b))*.5", "floor+lt" };

/* Inputs whose every result is exact in f32: multiples of 1/8 below 2^16 in magnitude, signed zeros included. */
static void alu_float(struct vk_ctx *ctx)
{
	static float in[INV * 8];
	static uint32_t out[INV * 48], want[INV * 48];
	static const float fixed[] = { 0.0f, -0.0f, 1.0f, -1.0f, 2.5f, -2.5f, 0.125f, -3.875f, 1000.5f, -65535.0f,
				       2.0f, -2.0f, 0.5f, -0.5f, 7.75f, 3.0f };
	struct job j = { alu_float_spv, sizeof(alu_float_spv), in, sizeof(in), out, sizeof(out), NULL, 0, GROUPS, NULL };
	uint32_t s = 0xabcdefu;

	for (uint32_t k = 0; k < INV * 8; k++)
		in[k] = k % 5 == 0 ? fixed[(k / 5) % N(fixed)] : ((int32_t)(rng(&s) % 262144u) - 131072) / 8.0f;
	for (uint32_t i = 0; i < INV; i++)
		for (uint32_t l = 0; l < 4; l++) {
			float a = in[8 * i + l], b = in[8 * i + 4 + l];
			uint32_t *w = &want[48 * i + l];

			w[0] = fbits(a + b);
			w[4] = fbits(a - b);
			w[8] = fbits(a * b);
			w[12] = fbits(a * 0.75f + b * 0.25f);
			w[16] = fbits(a < -2.0f ? -2.0f : a > 2.0f ? 2.0f : a);
			w[20] = fbits(fminf(a, b));
			w[24] = fbits(fmaxf(a, b));
			w[28] = fbits(fabsf(a) + -b);
			w[32] = (uint32_t)(int32_t)a;
			w[36] = (uint32_t)fabsf(a);
			/* NIR rewrites float(int(b)) (an inexact i2f of f2i) as trunc(b), so -0.5 gives -0.0. */
			w[40] = fbits(truncf(b) * 0.5f);
			w[44] = fbits(floorf(a) + (a < b ? 1.0f : 0.0f));
		}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "vec4", out, want, N(out), float_names, 12);
}

static const char *const convert_names[] = { "int(f)", "uint(|f|)", "float(int(w))", "float(w)", "w/(w>>16|1)",
					     "int(w)/-3" };

/* Conversions at the ends of their ranges: floats up to just below 2^31 (int) and 2^32 (uint), words whose float
 * rounds (ties to even, carries into the exponent), INT_MIN and UINT_MAX. */
static void convert(struct vk_ctx *ctx)
{
	static uint32_t in[INV * 2], out[INV * 6], want[INV * 6];
	static const float floats[] = { 2147483520.0f, -2147483648.0f, 4294967040.0f, 0.999999940f, -0.999999940f,
					1.5f, -1.5f, 16777217.0f, 1e-30f, -1e-30f, 8388608.5f, 123456.789f };
	static const uint32_t words[] = { 0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu, 0x01000001u, 0x01000003u,
					  0xfffffe80u, 0xffffff80u, 0x7fffffc0u, 0x80000040u, 0xfffffffdu };
	struct job j = { convert_spv, sizeof(convert_spv), in, sizeof(in), out, sizeof(out), NULL, 0, GROUPS, NULL };
	uint32_t s = 0x5eedu;

	for (uint32_t i = 0; i < INV; i++) {
		float f = i < N(floats) ? floats[i] : (float)((int32_t)rng(&s) >> (i % 24));

		in[2 * i] = i < N(words) ? words[i] : rng(&s) >> (i % 32);
		/* Keep uint(|f|) in range: |f| < 2^32 always holds here; int(f) needs f in [-2^31, 2^31). */
		if (f >= 2147483648.0f)
			f = 2147483520.0f;
		in[2 * i + 1] = fbits(f);
	}
	for (uint32_t i = 0; i < INV; i++) {
		uint32_t w = in[2 * i], *o = &want[6 * i];
		float f;

		memcpy(&f, &in[2 * i + 1], 4);
		o[0] = (uint32_t)(int32_t)f;
		o[1] = (uint32_t)fabsf(f);
		o[2] = fbits((float)(int32_t)w);
		o[3] = fbits((float)w);
		o[4] = w / ((w >> 16) | 1);
		o[5] = (uint32_t)((int32_t)w / -3);
	}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	/* Six results per invocation (check_words names vec4 groups): the first mismatch with its result's name. */
	for (uint32_t k = 0; k < N(out); k++)
		vk_check_f(ctx, out[k] == want[k], "invocation %u %s = 0x%08x, want 0x%08x", k / 6, convert_names[k % 6],
			   out[k], want[k]);
}

static void diverge(struct vk_ctx *ctx)
{
	static uint32_t in[INV], out[INV * 2], want[INV * 2];
	struct job j = { diverge_spv, sizeof(diverge_spv), in, sizeof(in), out, sizeof(out), NULL, 0, GROUPS, NULL };
	uint32_t s = 0x77u;

	for (uint32_t i = 0; i < INV; i++)
		in[i] = i % 4 == 0 ? i : rng(&s) % (i % 3 ? 1000u : 0x1000000u);
	for (uint32_t i = 0; i < INV; i++) {
		uint32_t x = in[i], steps = 0, acc = i;

		for (uint32_t n = 0; n < i % 13 + 1; n++) {
			if (x & 1) {
				x = 3 * x + 1;
			} else {
				x >>= 1;
				if ((x & 3) == 2)
					continue;
			}
			acc ^= x + n;
			steps++;
			if (x < 8)
				break;
		}
		if (i & 4)
			acc = acc * 7 + steps;
		else if (i & 8)
			acc = ~acc;
		want[2 * i] = acc;
		want[2 * i + 1] = steps;
	}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "diverge (acc, steps) pairs", out, want, N(out), NULL, 1);
}

static void reduce(struct vk_ctx *ctx)
{
	enum { WG = 128, NG = 6 };
	static uint32_t in[WG * NG], out[2 * NG + WG * NG], want[2 * NG + WG * NG];
	struct job j = { reduce_spv, sizeof(reduce_spv), in, sizeof(in), out, sizeof(out), NULL, 0, NG, NULL };
	uint32_t s = 0x31337u;

	for (uint32_t k = 0; k < WG * NG; k++)
		in[k] = rng(&s) >> (k % 9);
	for (uint32_t g = 0; g < NG; g++) {
		uint32_t sum = 0, top = 0;

		for (uint32_t l = 0; l < WG; l++) {
			sum += in[g * WG + l];
			top = in[g * WG + l] > top ? in[g * WG + l] : top;
		}
		want[2 * g] = sum;
		want[2 * g + 1] = top;
		for (uint32_t l = 0; l < WG; l++)
			want[2 * NG + g * WG + l] = sum;
	}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "reduce (sum, max) per group, then every invocation's sum", out, want, N(out), NULL, 1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void atomics(struct vk_ctx *ctx)
{
	static uint32_t in[8 + INV], ret[8 * INV], sorted[INV + 1];
	struct job j = { atomics_spv, sizeof(atomics_spv), in, sizeof(in), ret, sizeof(ret), NULL, 0, GROUPS, NULL };
	const uint32_t init[8] = { 1000, 0x7fffffff, 0x80000000u, 0xffffffffu, 0, 0x0f0f0f0fu, 0, 0 };
	uint32_t s = 0xfeedu, sum = init[0], xr = init[5], or_all = 0, and_all = init[3];
	int32_t mn = (int32_t)init[1], mx = (int32_t)init[2];

	memcpy(in, init, sizeof(init));
	for (uint32_t i = 0; i < INV; i++) {
		uint32_t x = rng(&s);

		in[8 + i] = x;
		sum += x;
		mn = (int32_t)x < mn ? (int32_t)x : mn;
		mx = (int32_t)x > mx ? (int32_t)x : mx;
		xr ^= x;
		or_all |= 1u << (i & 31);
		and_all &= ~(1u << (i & 31));
	}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	vk_check_eq(ctx, in[0], sum);
	vk_check_eq(ctx, in[1], (uint32_t)mn);
	vk_check_eq(ctx, in[2], (uint32_t)mx);
	vk_check_eq(ctx, in[3], and_all);
	vk_check_eq(ctx, in[4], or_all);
	vk_check_eq(ctx, in[5], xr);
	/* The returned values: every invocation's operation applied to what it saw gives a value that another
	 * invocation saw or the final word (the invocations ran in some order, each seeing its predecessor's result),
	 * and for the add, whose steps never repeat a value here, the returns are pairwise distinct. */
	for (uint32_t op = 0; op < 6; op++)
		for (uint32_t i = 0; i < INV; i++) {
			uint32_t r = ret[8 * i + op], x = in[8 + i], bit = 1u << (i & 31), next = 0;
			uint32_t found;

			switch (op) {
			case 0: next = r + x; break;
			case 1: next = (int32_t)x < (int32_t)r ? x : r; break;
			case 2: next = (int32_t)x > (int32_t)r ? x : r; break;
			case 3: next = r & ~bit; break;
			case 4: next = r | bit; break;
			case 5: next = r ^ x; break;
			}
			found = next == in[op];
			for (uint32_t k = 0; k < INV && !found; k++)
				found = ret[8 * k + op] == next;
			vk_check_f(ctx, found, "atomic op %u: invocation %u returned 0x%08x, which no order produces", op,
				   i, r);
			if (op == 0)
				for (uint32_t k = 0; k < i; k++)
					vk_check_f(ctx, ret[8 * k] != r, "atomicAdd: invocations %u and %u both saw 0x%08x",
						   k, i, r);
		}
	/* Exchange: the returned values and the final word are {0, 1..INV}, each once. */
	for (uint32_t i = 0; i < INV; i++)
		sorted[i] = ret[8 * i + 6];
	sorted[INV] = in[6];
	qsort(sorted, INV + 1, 4, cmp_u32);
	for (uint32_t k = 0; k <= INV; k++)
		vk_check_f(ctx, sorted[k] == k, "atomicExchange: values returned and left are not 0..%u once each (%u: %u)",
			   INV, k, sorted[k]);
	/* CompSwap(0 -> i + 1): one invocation finds 0 and wins; every other one sees the winner's value. */
	uint32_t winners = 0, win = 0;

	for (uint32_t i = 0; i < INV; i++)
		if (ret[8 * i + 7] == 0) {
			winners++;
			win = i + 1;
		}
	vk_check_eq(ctx, winners, 1);
	vk_check_eq(ctx, in[7], win);
	for (uint32_t i = 0; i < INV; i++)
		vk_check_f(ctx, ret[8 * i + 7] == 0 || ret[8 * i + 7] == win,
			   "atomicCompSwap: invocation %u saw 0x%x, winner wrote 0x%x", i, ret[8 * i + 7], win);
	/* Xor: what an invocation saw, xored with its operand, is what a later one saw or the final word. */
	for (uint32_t i = 0; i < INV; i++) {
		uint32_t next = ret[8 * i + 5] ^ in[8 + i], found = next == in[5];

		for (uint32_t k = 0; k < INV && !found; k++)
			found = ret[8 * k + 5] == next;
		vk_check_f(ctx, found, "atomicXor: invocation %u returned 0x%08x, which no order produces", i,
			   ret[8 * i + 5]);
	}
}

static void push_constants(struct vk_ctx *ctx)
{
	static uint32_t in[INV], out[INV * 4], want[INV * 4];
	struct {
		uint32_t mul, add;
		int32_t k[2];
		float f[4];
		uint32_t count;
	} pc = { 2654435761u, 12345, { -7, 3 }, { 1.5f, -0.25f, 1e30f, -0.0f }, INV - 17 };
	struct job j = { push_spv, sizeof(push_spv), in, sizeof(in), out, sizeof(out), &pc, sizeof(pc), GROUPS, NULL };

	for (uint32_t i = 0; i < INV; i++)
		in[i] = i * 0x01010101u;
	for (uint32_t i = 0; i < INV; i++) {
		if (i >= pc.count) {
			for (uint32_t k = 0; k < 4; k++)
				want[4 * i + k] = POISON;
			continue;
		}
		want[4 * i] = in[i] * pc.mul + pc.add;
		want[4 * i + 1] = (uint32_t)(pc.k[0] + pc.k[1] * (int32_t)i);
		want[4 * i + 2] = fbits(pc.f[i & 3] * 2.0f);
		want[4 * i + 3] = pc.count;
	}
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	check_words(ctx, "push constants", out, want, N(out), NULL, 1);
}

/* A store through a descriptor far past its buffer (robustness off: no bounds check) reaches an address no
 * allocation covers: the GPU faults, the submission reports the device lost, and a second device opened afterwards
 * runs the same shader in bounds with every word right. The first run in bounds on the same shader is the control. */
static void oob_store(struct vk_ctx *ctx)
{
	static uint32_t in[INV], out[INV], want[INV];
	uint32_t index = 5000;
	VkResult fault = VK_SUCCESS;
	struct job j = { oob_store_spv, sizeof(oob_store_spv), in, sizeof(in), out, sizeof(out), &index, 4, GROUPS,
			 NULL };
	struct vk_ctx *peer;

	for (uint32_t i = 0; i < INV; i++)
		in[i] = 0x0a000000u + i;
	/* Control: index 0 lands in the buffer. */
	index = 0;
	run_job(ctx, &j);
	vk_return_if_failed(ctx);
	want[0] = 0xbad;
	for (uint32_t i = 1; i < INV; i++)
		want[i] = in[i];
	check_words(ctx, "in-bounds run", out, want, INV, NULL, 1);
	vk_return_if_failed(ctx);

	/* 3 GiB past the buffer. */
	index = 3u << 28;
	j.fault = &fault;
	run_job_on(ctx, &j);
	vk_return_if_failed(ctx);
	vk_check_f(ctx, fault == VK_ERROR_DEVICE_LOST, "out-of-bounds store: submission returned %s, want %s",
		   vk_result_name(fault), vk_result_name(VK_ERROR_DEVICE_LOST));

	peer = vk_open_peer(ctx, VK_QUEUE_COMPUTE_BIT);
	vk_return_if_failed(ctx);
	index = 0;
	j.fault = NULL;
	memset(out, 0, sizeof(out));
	run_job_on(peer, &j);
	if (peer->result != VK_LITE_SUCCESS) {
		ctx->result = peer->result;
		return;
	}
	check_words(ctx, "run on a second device after the fault", out, want, INV, NULL, 1);
}

static const struct vk_subtest tests[] = {
	{ "alu-int", alu_int }, { "alu-uint", alu_uint }, { "alu-float", alu_float }, { "diverge", diverge },
	{ "reduce", reduce },	{ "atomics", atomics },	  { "push-constants", push_constants },
	{ "convert", convert },	{ "oob-store-faults", oob_store },
};

int main(int argc, char **argv)
{
	return vk_main(argc, argv, tests, N(tests));
}
