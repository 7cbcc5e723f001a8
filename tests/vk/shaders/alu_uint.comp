// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's uvec4 arithmetic: each invocation reads a = in[2i], b = in[2i + 1] (b's lanes never 0) and stores 14
// results at out[14i..] (vk_shader.c computes the same on the CPU).
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer In {
	uvec4 v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	uvec4 v[];
} dst;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	uvec4 a = src.v[2 * i];
	uvec4 b = src.v[2 * i + 1];
	uvec4 s = b & 31u;
	uint o = 14 * i;

	dst.v[o + 0] = a + b;
	dst.v[o + 1] = a - b;
	dst.v[o + 2] = a * b;
	dst.v[o + 3] = a / b;
	dst.v[o + 4] = a % b;
	dst.v[o + 5] = min(a, b);
	dst.v[o + 6] = max(a, b);
	dst.v[o + 7] = clamp(a, uvec4(1000u), uvec4(0x80000000u));
	dst.v[o + 8] = a << s;
	dst.v[o + 9] = a >> s;
	dst.v[o + 10] = (a & b) | (~a & 0xff00ff00u);
	dst.v[o + 11] = a ^ (b | 0x10u);
	dst.v[o + 12] = a / 7u + a % 10u;
	dst.v[o + 13] = uvec4(greaterThanEqual(a, b)) * 3u + (a >> 28);
}
