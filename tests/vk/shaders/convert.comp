// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's conversions across the whole range: in[i] holds a word w; out[6i..] = int(f), uint(|f|) for the float
// f with w's bits (vk_shader.c keeps f finite and in range), float(int(w)), float(w) (rounded to nearest even),
// w / (w >> 16 | 1) and int(w) / -3.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer In {
	uint v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	uint v[];
} dst;

void main()
{
	uint i = gl_GlobalInvocationID.x;
	uint w = src.v[2u * i];
	float f = uintBitsToFloat(src.v[2u * i + 1u]);
	uint o = 6u * i;

	dst.v[o + 0u] = uint(int(f));
	dst.v[o + 1u] = uint(abs(f));
	dst.v[o + 2u] = floatBitsToUint(float(int(w)));
	dst.v[o + 3u] = floatBitsToUint(float(w));
	dst.v[o + 4u] = w / ((w >> 16) | 1u);
	dst.v[o + 5u] = uint(int(w) / -3);
}
