// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_compute's dispatch: out[i] = in[i] * 3 + gl_GlobalInvocationID.x, workgroups of 64. Compiled to the SPIR-V words in
// times3.spv.h by scripts/gen-spirv.sh (glslangValidator from Debian's glslang-tools).
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
	dst.v[i] = src.v[i] * 3u + i;
}
