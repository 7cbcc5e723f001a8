// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's ivec4 arithmetic: each invocation reads a = in[2i], b = in[2i + 1] and stores 16 results at out[16i..]
// (vk_shader.c computes the same on the CPU). b's lanes are never 0 and never -1 where a is INT_MIN.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer In {
	ivec4 v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	ivec4 v[];
} dst;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	ivec4 a = src.v[2 * i];
	ivec4 b = src.v[2 * i + 1];
	ivec4 s = b & 31;
	uint o = 16 * i;

	dst.v[o + 0] = a + b;
	dst.v[o + 1] = a - b;
	dst.v[o + 2] = a * b;
	dst.v[o + 3] = a / b;
	dst.v[o + 4] = a % b;
	dst.v[o + 5] = min(a, b);
	dst.v[o + 6] = max(a, b);
	dst.v[o + 7] = abs(a);
	dst.v[o + 8] = clamp(a, ivec4(-1000), ivec4(1000));
	dst.v[o + 9] = a << s;
	dst.v[o + 10] = a >> s;
	dst.v[o + 11] = a & b;
	dst.v[o + 12] = a | b;
	dst.v[o + 13] = a ^ b;
	dst.v[o + 14] = ~a;
	dst.v[o + 15] = ivec4(lessThan(a, b)) + 2 * ivec4(equal(a, b)) - a.yzwx;
}
