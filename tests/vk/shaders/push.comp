// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's push constants: a block of mixed types read by every invocation; out[4i..] = in[i] * mul + add, the
// ivec2 k's sum with i, the float's bits scaled, and the element count the block says.
#version 450

layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
	uint mul;
	uint add;
	ivec2 k;
	vec4 f;
	uint count;
} pc;

layout(std430, set = 0, binding = 0) readonly buffer In {
	uint v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	uint v[];
} dst;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	if (i >= pc.count)
		return;
	dst.v[4u * i] = src.v[i] * pc.mul + pc.add;
	dst.v[4u * i + 1u] = uint(pc.k.x + pc.k.y * int(i));
	dst.v[4u * i + 2u] = floatBitsToUint(pc.f[i & 3u] * 2.0);
	dst.v[4u * i + 3u] = pc.count;
}
