// Cross-entropy, second pass: the mean of the rows' losses, summed by one invocation in
// PyTorch's order (nll_loss's cascade on the CPU: 8 levels of partial sums, each flushed into
// the next at every 16th, 256th, … row), then divided by the row count in f32. Any non-finite
// row loss makes the mean NaN (checked on the bits).

struct Params {
  rows: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_losses: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var parts: array<f32, 8>;
  var non_finite = false;
  for (var b = 0u; b < params.rows; b++) {
    let value = row_losses[b];
    non_finite = non_finite || (bitcast<u32>(value) & 0x7f800000u) == 0x7f800000u;
    parts[0] = parts[0] + value;
    for (var j = 0u; j < 7u; j++) {
      if ((b & (15u << (4u * j))) != 0u) {
        break;
      }
      parts[j + 1u] = parts[j + 1u] + parts[j];
      parts[j] = 0.0;
    }
  }
  var total = 0.0;
  for (var j = 0u; j < 8u; j++) {
    total = total + parts[j];
  }
  loss[0] = select(total / f32(params.rows), bitcast<f32>(0x7fc00000u), non_finite);
}
