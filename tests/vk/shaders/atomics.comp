// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's buffer atomics: every invocation applies each operation to one shared word of `ctr` and stores what
// the operation returned at ret[8i..]. in[i] is the invocation's operand.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer Ctr {
	uint add;
	int smin;
	int smax;
	uint band;
	uint bor;
	uint bxor;
	uint xchg;
	uint cas;
	uint in_v[];
} ctr;

layout(std430, set = 0, binding = 1) writeonly buffer Ret {
	uint v[];
} ret;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	uint x = ctr.in_v[i];
	uint o = 8u * i;

	ret.v[o + 0] = atomicAdd(ctr.add, x);
	ret.v[o + 1] = uint(atomicMin(ctr.smin, int(x)));
	ret.v[o + 2] = uint(atomicMax(ctr.smax, int(x)));
	ret.v[o + 3] = atomicAnd(ctr.band, ~(1u << (i & 31u)));
	ret.v[o + 4] = atomicOr(ctr.bor, 1u << (i & 31u));
	ret.v[o + 5] = atomicXor(ctr.bxor, x);
	ret.v[o + 6] = atomicExchange(ctr.xchg, i + 1u);
	ret.v[o + 7] = atomicCompSwap(ctr.cas, 0u, i + 1u);
}
