// Reference, not a contender: a WGSL copy of the output bytes, out[i] = source[i], one vec4 per
// invocation. No embedding kernel can beat it on an adapter, since every kernel must at least
// read a table row and write the output; on llvmpipe it shows what shader storage access costs
// against copyBufferToBuffer (a memcpy).

override WORKGROUP_SIZE: u32 = 64;

@group(0) @binding(1) var<storage, read> source: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  let index = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (index < arrayLength(&out)) {
    out[index] = source[index];
  }
}
