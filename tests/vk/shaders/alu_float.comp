// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's vec4 arithmetic: each invocation reads a = in[2i], b = in[2i + 1] and stores 12 results at out[12i..],
// every one exact in f32 for the inputs vk_shader.c picks (so no rounding or fusing choice of the compiler shows).
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer In {
	vec4 v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	vec4 v[];
} dst;

layout(std430, set = 0, binding = 1) writeonly buffer OutI {
	ivec4 v[];
} dsti;

layout(std430, set = 0, binding = 1) writeonly buffer OutU {
	uvec4 v[];
} dstu;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	vec4 a = src.v[2 * i];
	vec4 b = src.v[2 * i + 1];
	uint o = 12 * i;

	dst.v[o + 0] = a + b;
	dst.v[o + 1] = a - b;
	dst.v[o + 2] = a * b;
	dst.v[o + 3] = mix(a, b, 0.25);
	dst.v[o + 4] = clamp(a, -2.0, 2.0);
	dst.v[o + 5] = min(a, b);
	dst.v[o + 6] = max(a, b);
	dst.v[o + 7] = abs(a) + -b;
	dsti.v[o + 8] = ivec4(a);
	dstu.v[o + 9] = uvec4(abs(a));
	dst.v[o + 10] = vec4(ivec4(b)) * 0.5;
	dst.v[o + 11] = floor(a) + vec4(lessThan(a, b));
}
