// Variant "row loop": one invocation per token row, looping over the row's vec4s (dim a
// multiple of 4). Few invocations, each with a long uniform loop.

struct Params {
  rows: u32,
  chunks: u32, // dim / 4
  seq: u32,
  unused: u32,
}

override WORKGROUP_SIZE: u32 = 64;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<vec4f>;
@group(0) @binding(3) var<storage, read> positions: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  let row = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (row >= params.rows) {
    return;
  }
  let source = ids[row] * params.chunks;
  let position = (row % params.seq) * params.chunks;
  let destination = row * params.chunks;
  for (var chunk = 0u; chunk < params.chunks; chunk++) {
    out[destination + chunk] = table[source + chunk] + positions[position + chunk];
  }
}
