// The maximum M of one row of V values and the sum of exp(x - M) (max-subtracted, so no exp
// overflows), reduced by one workgroup: lane k takes columns k, k + WORKGROUP_SIZE, …, then the
// lanes' partial results are combined by a tree in workgroup memory, in a fixed order
// (deterministic, and more accurate than one running sum over thousands of columns). Whether the
// row holds a NaN or an infinity is checked on the bits, which no compiler may assume away.
//
// Shared by the softmax and cross-entropy kernels (their CPU references share
// row_reduction_cpu.ts). The host prepends V and WORKGROUP_SIZE; the kernel supplies
// `fn logit(row: u32, column: u32) -> f32`, the row's values.

struct RowStats {
  high: f32,
  sum_exp: f32,
  non_finite: bool,
}

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
var<workgroup> bad: array<u32, WORKGROUP_SIZE>;

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Called by every lane of the workgroup, in uniform control flow (it has barriers).
fn row_stats(row: u32, lane: u32) -> RowStats {
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
  return RowStats(m, partial[0], any_bad != 0u);
}
