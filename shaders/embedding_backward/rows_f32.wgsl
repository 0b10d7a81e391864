// Row access by chunks of 4 columns for any DIM: scalar loads and stores, fewer than 4 at the
// end of a row. The host prepends DIM.

@group(0) @binding(1) var<storage, read> grad_output: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;

fn load_output4(row: u32, chunk: u32) -> vec4f {
  var value = vec4f();
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      value[k] = grad_output[row * DIM + chunk * 4u + k];
    }
  }
  return value;
}

fn add_to_grad4(row: u32, chunk: u32, value: vec4f) {
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      let index = row * DIM + chunk * 4u + k;
      grad[index] = grad[index] + value[k];
    }
  }
}
