// Row access by chunks of 4 columns for a DIM that is a multiple of 4: one vec4 load or store
// each. The host prepends CHUNKS (DIM / 4).

@group(0) @binding(1) var<storage, read> grad_output: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> grad: array<vec4f>;

fn load_output4(row: u32, chunk: u32) -> vec4f {
  return grad_output[row * CHUNKS + chunk];
}

fn add_to_grad4(row: u32, chunk: u32, value: vec4f) {
  let index = row * CHUNKS + chunk;
  grad[index] = grad[index] + value;
}
