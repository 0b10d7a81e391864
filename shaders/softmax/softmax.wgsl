// Softmax of each row of x [rows, V], max-subtracted (no exp overflows): as PyTorch's CPU
// softmax, out = exp(x - max) · (1 / Σ exp(x - max)). A row holding a NaN or an infinity comes
// out as all NaN, never as plausible probabilities.
//
// One workgroup per row (row_stats() of row_reduction.wgsl). Grid: x = row (from
// params.first_row). The host prepends V, WORKGROUP_SIZE and the row reduction.

struct Params {
  rows: u32,
  first_row: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn logit(row: u32, column: u32) -> f32 {
  return x[row * V + column];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let row = params.first_row + group.x;
  if (row >= params.rows) {
    return;
  }
  let s = row_stats(row, lane);
  let scale = 1.0 / s.sum_exp;
  let base = row * V;
  for (var c = lane; c < V; c += WORKGROUP_SIZE) {
    out[base + c] = select(exp(x[base + c] - s.high) * scale, bitcast<f32>(0x7fc00000u), s.non_finite);
  }
}
