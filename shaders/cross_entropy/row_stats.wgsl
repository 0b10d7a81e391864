// Cross-entropy, first pass: per row r of logits [rows, V], the maximum M, the log of the sum of
// exp(x - M) (max-subtracted, so no exp overflows), and the row's loss
// -log_softmax(x)[target] = -((x[target] - M) - log Σ exp(x - M)), as PyTorch's log_softmax
// and nll_loss compute it. A row holding a NaN or an infinity gets a NaN loss (checked on the
// bits, which no compiler may assume away), so that the mean shows it.
//
// One workgroup per row: lane k takes columns k, k + WORKGROUP_SIZE, …, then the lanes' partial
// results are combined by a tree in workgroup memory, in a fixed order (deterministic, and
// more accurate than one running sum over thousands of columns).
//
// Grid: x = row (from params.first_row). The host prepends V (columns), WORKGROUP_SIZE and
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

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
var<workgroup> bad: array<u32, WORKGROUP_SIZE>;

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
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
  var high = -3.40282347e38;
  var non_finite = 0u;
  for (var c = lane; c < V; c += WORKGROUP_SIZE) {
    let x = logit(row, c);
    high = max(high, x);
    non_finite |= select(1u, 0u, is_finite(x));
  }
  partial[lane] = high;
  bad[lane] = non_finite;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] = max(partial[lane], partial[lane + stride]);
      bad[lane] |= bad[lane + stride];
    }
    workgroupBarrier();
  }
  let m = partial[0];
  let any_bad = bad[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var c = lane; c < V; c += WORKGROUP_SIZE) {
    sum += exp(logit(row, c) - m);
  }
  partial[lane] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] = partial[lane] + partial[lane + stride];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    let log_sum = log(partial[0]);
    stats[row] = vec2f(m, log_sum);
    let log_p = (logit(row, targets[row]) - m) - log_sum;
    row_losses[row] = select(-log_p, bitcast<f32>(0x7fc00000u), any_bad != 0u);
  }
}
