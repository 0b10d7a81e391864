// Token-embedding lookup for GPUs: out[row, :] = table[ids[row], :] for ids of any shape,
// flattened, with invocations across columns (CPU adapters use gather_rows.wgsl).
//
// Grid: x = chunk of 4 columns, z = a group of ROWS_PER_INVOCATION rows (y = 1), as in
// gather_positional_add.wgsl without positions. Dispatches beyond
// maxComputeWorkgroupsPerDimension start at params.first_group.
//
// The host prepends the constants, the table bindings, token_id (ids.wgsl), token_vec4
// (table_*.wgsl) and store_vec4 (rows*.wgsl).

struct GatherParams {
  rows: u32, // ids to look up: the output's rows
  first_group: u32, // this dispatch's first group of ROWS_PER_INVOCATION rows
}

@group(0) @binding(0) var<uniform> params: GatherParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let chunk = cell.x;
  if (chunk >= CHUNKS) {
    return;
  }
  let first = (params.first_group + cell.z) * ROWS_PER_INVOCATION;
  for (var j = 0u; j < ROWS_PER_INVOCATION; j++) {
    let row = first + j;
    if (row < params.rows) {
      store_vec4(row, chunk, token_vec4(token_id(row, row, 0u), chunk));
    }
  }
}
