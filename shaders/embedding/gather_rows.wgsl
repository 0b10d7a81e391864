// Token-embedding lookup for CPU adapters: out[row, :] = table[ids[row], :], one invocation per
// row looping over its columns (see gather_positional_add_rows.wgsl for why). Rows start at
// params.first_row for grids beyond maxComputeWorkgroupsPerDimension.
//
// The host prepends the constants, the table bindings, token_id (ids.wgsl), token_vec4
// (table_*.wgsl) and store_vec4 (rows*.wgsl).

struct GatherRowsParams {
  rows: u32, // ids to look up: the output's rows
  first_row: u32, // this dispatch's first row
}

@group(0) @binding(0) var<uniform> params: GatherRowsParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let row = params.first_row + cell.x;
  if (row >= params.rows) {
    return;
  }
  let id = token_id(row, row, 0u);
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    store_vec4(row, chunk, token_vec4(id, chunk));
  }
}
