// Output and positional-table access by chunks of 4 columns, for any dim: scalar loads and
// stores, fewer than 4 at the end of a row. The host prepends DIM.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;

fn position_vec4(t: u32, chunk: u32) -> vec4f {
  var value = vec4f();
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      value[k] = positions[t * DIM + chunk * 4u + k];
    }
  }
  return value;
}

fn store_vec4(row: u32, chunk: u32, value: vec4f) {
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      out[row * DIM + chunk * 4u + k] = value[k];
    }
  }
}
