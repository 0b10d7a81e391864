// Token-embedding lookup for CPU adapters: out[row, :] = table[ids[row], :], one invocation per
// row looping over its columns (see gather_positional_add_rows.wgsl for why). Rows start at
// params.first_t for grids beyond maxComputeWorkgroupsPerDimension.
//
// The host prepends the constants, the table bindings, token_id (ids.wgsl), token_vec4
// (table_*.wgsl) and store_vec4 (rows*.wgsl).

struct Params {
  batch: u32, // rows
  seq: u32, // 1
  first_t: u32, // the first row of this dispatch
  first_group: u32, // 0
}

@group(0) @binding(0) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let row = params.first_t + cell.x;
  if (row >= params.batch) {
    return;
  }
  let id = token_id(row, row, 0u);
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    store_vec4(row, chunk, token_vec4(id, chunk));
  }
}
