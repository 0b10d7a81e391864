// Cross-entropy, gradient with respect to the logits: (softmax(x) - onehot(target)) / rows,
// computed as PyTorch's log_softmax backward does it: with g = -1/rows at the target (0
// elsewhere), grad = g - exp(log_softmax(x)) · (-1/rows). Uses the first pass's row stats.
//
// Grid: x = chunk of 4 columns, y = row (from params.first_row). The host prepends V,
// CHUNKS, WORKGROUP_SIZE and logit(row, column) (logits_*.wgsl).

struct Params {
  rows: u32,
  first_row: u32,
  // -1/rows as f32 bits (from the host: -(1 / rows) rounded once).
  negative_inverse: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> stats: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(global_invocation_id) cell: vec3u,
  @builtin(workgroup_id) group: vec3u,
) {
  let chunk = cell.x;
  // From the workgroup id (uniform): the row's stats and target may be loaded once for all.
  let row = params.first_row + group.y;
  if (chunk >= CHUNKS || row >= params.rows) {
    return;
  }
  let s = stats[row];
  let target_column = targets[row];
  let g = bitcast<f32>(params.negative_inverse);
  for (var k = 0u; k < 4u; k++) {
    let c = chunk * 4u + k;
    if (c < V) {
      let p = exp((logit(row, c) - s.x) - s.y);
      grad[row * V + c] = select(0.0, g, c == target_column) - p * g;
    }
  }
}
