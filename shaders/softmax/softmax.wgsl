// Softmax of each row of x [rows, V], max-subtracted (no exp overflows): as PyTorch's CPU
// softmax, out = exp(x - max) · (1 / Σ exp(x - max)). A row holding a NaN or an infinity comes
// out as all NaN (checked on the bits), never as plausible probabilities.
//
// One workgroup per row: lane k takes columns k, k + WORKGROUP_SIZE, …; the lanes' maxima and
// sums are combined by a tree in workgroup memory, in a fixed order (deterministic).
//
// Grid: x = row (from params.first_row). The host prepends V and WORKGROUP_SIZE.

struct Params {
  rows: u32,
  first_row: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
var<workgroup> bad: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let row = params.first_row + group.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * V;
  var high = -3.40282347e38;
  var non_finite = 0u;
  for (var c = lane; c < V; c += WORKGROUP_SIZE) {
    let value = x[base + c];
    high = max(high, value);
    non_finite |= select(0u, 1u, (bitcast<u32>(value) & 0x7f800000u) == 0x7f800000u);
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
    sum += exp(x[base + c] - m);
  }
  partial[lane] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] = partial[lane] + partial[lane + stride];
    }
    workgroupBarrier();
  }
  let scale = 1.0 / partial[0];
  for (var c = lane; c < V; c += WORKGROUP_SIZE) {
    out[base + c] = select(exp(x[base + c] - m) * scale, bitcast<f32>(0x7fc00000u), any_bad != 0u);
  }
}
