// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's fault: invocation 0 stores to dst.v[pc.index] with robustness off, so an index far past the buffer
// writes through an address no allocation covers; every other invocation copies its input word (what a run that did
// not fault leaves behind).
#version 450

layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
	uint index;
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
	if (i == 0u)
		dst.v[pc.index] = 0xbadu;
	else
		dst.v[i] = src.v[i];
}
