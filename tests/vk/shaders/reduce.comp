// SPDX-License-Identifier: GPL-2.0-only OR MIT
// vk_shader's workgroup reduction: 128 invocations put their value in shared memory and halve the active range with
// a barrier between steps; invocation 0 stores the group's sum and max, and every invocation stores what it read
// back from shared memory after the last barrier (the group's sum).
#version 450

layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer In {
	uint v[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	uint v[];
} dst;

shared uint sum[128];
shared uint top[128];

void main()
{
	uint l = gl_LocalInvocationID.x;
	uint g = gl_WorkGroupID.x;
	uint x = src.v[gl_GlobalInvocationID.x];

	sum[l] = x;
	top[l] = x;
	barrier();
	for (uint w = 64u; w > 0u; w >>= 1) {
		if (l < w) {
			sum[l] += sum[l + w];
			top[l] = max(top[l], top[l + w]);
		}
		barrier();
	}
	if (l == 0u) {
		dst.v[2u * g] = sum[0];
		dst.v[2u * g + 1u] = top[0];
	}
	dst.v[2u * gl_NumWorkGroups.x + gl_GlobalInvocationID.x] = sum[0];
}
