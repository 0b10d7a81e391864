// Variant "naive": the first fused kernel of this project, kept as it was (its figures are in
// bench/kernels/README.md). One invocation per chunk of 4 columns; the row, the column and the
// position come from run-time divisions of the invocation index; scalar loads and stores.
//
// The book's input embeddings in one pass: out[b, t, :] = table[ids[b, t], :] + positions[t, :]
// for ids [.., seq], table [vocab, dim] and positions [>= seq, dim]. One invocation handles 4
// consecutive columns of one row (fewer at the end of a row when dim is not a multiple of 4).
// Ids are checked on the host.

struct Params {
  total: u32, // rows · chunks: the number of work items
  dim: u32,
  chunks: u32, // ceil(dim / 4)
  seq: u32, // positions per sequence: row r is position r % seq
}

override WORKGROUP_SIZE: u32 = 64;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> positions: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

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
  let source = ids[row] * params.dim + column;
  let destination = row * params.dim + column;
  let position = (row % params.seq) * params.dim + column;
  let count = min(4u, params.dim - column);
  for (var k = 0u; k < count; k++) {
    out[destination + k] = table[source + k] + positions[position + k];
  }
}
