// Variant "vec4, 1D": one invocation per vec4 of output with vec4 loads and stores (dim a
// multiple of 4), the row and column from a run-time division of a 1D invocation index (folded
// into 2D beyond 65,535 workgroups), the position from a run-time modulo.

struct Params {
  total: u32, // rows · chunks
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
  let index = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (index >= params.total) {
    return;
  }
  let row = index / params.chunks;
  let chunk = index - row * params.chunks;
  out[index] = table[ids[row] * params.chunks + chunk] +
    positions[(row % params.seq) * params.chunks + chunk];
}
