// Cross-entropy, first pass: per row r of logits [rows, V], the maximum M, the log of the sum of
// exp(x - M), and the row's loss -log_softmax(x)[target] = -((x[target] - M) - log Σ exp(x - M)),
// as PyTorch's log_softmax and nll_loss compute it. A row holding a NaN or an infinity gets a NaN
// loss, so that the mean shows it.
//
// One workgroup per row (row_stats() of row_reduction.wgsl). Grid: x = row (from
// params.first_row). The host prepends V, WORKGROUP_SIZE, the row reduction and
// logit(row, column) (logits_*.wgsl).

struct Params {
  rows: u32,
  first_row: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
// (max, log Σ exp(x - max)) per row.
@group(0) @binding(3) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> row_losses: array<f32>;

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
  if (lane == 0u) {
    let log_sum = log(s.sum_exp);
    stats[row] = vec2f(s.high, log_sum);
    let log_p = (logit(row, targets[row]) - s.high) - log_sum;
    row_losses[row] = select(-log_p, bitcast<f32>(0x7fc00000u), s.non_finite);
  }
}
