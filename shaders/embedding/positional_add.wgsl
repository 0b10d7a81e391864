// Absolute positional embeddings: out[b, t, :] = x[b, t, :] + positions[t, :] for x [.., seq, dim]
// and positions [>= seq, dim], broadcast over the leading dimensions. One invocation adds 4
// consecutive columns of one row (fewer at the end of a row when dim is not a multiple of 4).

struct PositionalAddParams {
  total: u32, // rows · chunks: the number of work items
  dim: u32,
  chunks: u32, // ceil(dim / 4)
  seq: u32, // positions per sequence: row r is position r % seq
}

override WORKGROUP_SIZE: u32 = 64;

@group(0) @binding(0) var<uniform> params: PositionalAddParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  // More than 65,535 workgroups are folded into a 2D grid by the host.
  let index = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (index >= params.total) {
    return;
  }
  let row = index / params.chunks;
  let column = (index - row * params.chunks) * 4u;
  let destination = row * params.dim + column;
  let position = (row % params.seq) * params.dim + column;
  let count = min(4u, params.dim - column);
  for (var k = 0u; k < count; k++) {
    out[destination + k] = x[destination + k] + positions[position + k];
  }
}
