// Positional-embedding backward: grad[t, :] += the sum over the batch of grad_output[b, t, :],
// added in order b = 0, 1, … (fixed, so every run gives the same bits).
//
// Grid: x = chunk of 4 columns, y = position t (from params.first_t).
// The host prepends DIM, CHUNKS, WORKGROUP_SIZE and load_output4 / add_to_grad4 (rows_*.wgsl).

struct Params {
  batch: u32,
  seq: u32,
  first_t: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let chunk = cell.x;
  let t = params.first_t + cell.y;
  if (chunk >= CHUNKS || t >= params.seq) {
    return;
  }
  var sum = vec4f();
  for (var b = 0u; b < params.batch; b++) {
    sum += load_output4(b * params.seq + t, chunk);
  }
  add_to_grad4(t, chunk, sum);
}
