// The ids of windows of a GPU-resident token stream, without uploading them:
// out[b, t] = stream[starts[b] + t + params.shift] (shift 1 gives the targets).
//
// Grid: x = position t, y = window b (from params.first_b). The host prepends WORKGROUP_SIZE,
// the stream bindings and token_id (ids_stream.wgsl).

struct WindowIdsParams {
  batch: u32, // windows
  seq: u32, // ids per window
  shift: u32, // added to every position: 0 for the inputs, 1 for the targets
  first_b: u32, // this dispatch's first window
}

@group(0) @binding(0) var<uniform> params: WindowIdsParams;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let t = cell.x;
  let b = params.first_b + cell.y;
  if (t >= params.seq || b >= params.batch) {
    return;
  }
  out[b * params.seq + t] = token_id(0u, b, t + params.shift);
}
