// The book's input embeddings in one pass, for GPUs: out[b, t, :] = table[id(b, t), :] +
// positions[t, :], with invocations across columns, so that neighbouring lanes read and write
// neighbouring vec4s (coalesced). CPU adapters use gather_positional_add_rows.wgsl.
//
// Grid: x = chunk of 4 columns, y = position t, z = a group of ROWS_PER_INVOCATION sequences, so
// that no invocation divides by a run-time value, and each invocation loads its positional
// chunk once for ROWS_PER_INVOCATION rows. (bench/kernels/ keeps the designs this one beat.)
// Dispatches beyond maxComputeWorkgroupsPerDimension start at params.first_t / first_group.
//
// The host prepends the constants (CHUNKS, ROWS_PER_INVOCATION, WORKGROUP_SIZE, …), the table
// bindings and these functions' parts: token_id(row, b, t) (ids.wgsl or ids_stream.wgsl),
// token_vec4(id, chunk) (table_*.wgsl), position_vec4(t, chunk) and store_vec4 (rows*.wgsl).

struct FusedParams {
  batch: u32, // sequences
  seq: u32, // positions per sequence
  first_t: u32, // this dispatch's first position
  first_group: u32, // this dispatch's first group of ROWS_PER_INVOCATION sequences
}

@group(0) @binding(0) var<uniform> params: FusedParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let chunk = cell.x;
  if (chunk >= CHUNKS) {
    return;
  }
  let t = params.first_t + cell.y;
  let first = (params.first_group + cell.z) * ROWS_PER_INVOCATION;
  let position = position_vec4(t, chunk);
  for (var j = 0u; j < ROWS_PER_INVOCATION; j++) {
    let b = first + j;
    if (b < params.batch) {
      let row = b * params.seq + t;
      store_vec4(row, chunk, token_vec4(token_id(row, b, t), chunk) + position);
    }
  }
}
