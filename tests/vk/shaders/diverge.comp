// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's divergence: every lane of a warp takes its own trip count through a loop with a data-dependent
// branch, a break and a continue, so lanes leave and rejoin the warp at different points (vk_shader.c runs the same
// loop on the CPU).
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
	uint x = src.v[i];
	uint steps = 0u;
	uint acc = i;

	for (uint n = 0u; n < (i % 13u) + 1u; n++) {
		if ((x & 1u) != 0u) {
			x = 3u * x + 1u;
		} else {
			x >>= 1;
			if ((x & 3u) == 2u)
				continue;
		}
		acc ^= x + n;
		steps++;
		if (x < 8u)
			break;
	}
	if ((i & 4u) != 0u)
		acc = acc * 7u + steps;
	else if ((i & 8u) != 0u)
		acc = ~acc;
	dst.v[2u * i] = acc;
	dst.v[2u * i + 1u] = steps;
}
