// The book's input embeddings in one pass, for CPU adapters (llvmpipe, SwiftShader, WARP):
// out[b, t, :] = table[id(b, t), :] + positions[t, :], with invocations across rows and the
// columns in a loop.
//
// A CPU adapter runs invocations as SIMD lanes and pays for every storage access once per lane,
// whatever the addresses, so the design minimises accesses per output vec4: each invocation
// takes ROWS_PER_INVOCATION sequences at one position t, reads their ids once, and loads each
// positional chunk once for all of them; lanes are consecutive positions of the same sequences.
// (GPUs prefer gather_positional_add.wgsl, whose lanes read consecutive columns.) Rows past the
// batch repeat the batch's last row, so the loops stay branch-free; its values are written
// again by the same invocation.
//
// Grid: x = position t (from params.first_t), y = group of ROWS_PER_INVOCATION sequences (from
// params.first_group).
// The host prepends the constants (CHUNKS, ROWS_PER_INVOCATION, WORKGROUP_SIZE, …), the table
// bindings and token_id (ids.wgsl or ids_stream.wgsl), token_vec4 (table_*.wgsl),
// position_vec4 and store_vec4 (rows*.wgsl).

struct FusedParams {
  batch: u32, // sequences
  seq: u32, // positions per sequence
  first_t: u32, // this dispatch's first position
  first_group: u32, // this dispatch's first group of ROWS_PER_INVOCATION sequences
}

@group(0) @binding(0) var<uniform> params: FusedParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) cell: vec3u) {
  let t = params.first_t + cell.x;
  if (t >= params.seq) {
    return;
  }
  let first = (params.first_group + cell.y) * ROWS_PER_INVOCATION;
  var rows: array<u32, ROWS_PER_INVOCATION>;
  var row_ids: array<u32, ROWS_PER_INVOCATION>;
  for (var j = 0u; j < ROWS_PER_INVOCATION; j++) {
    let b = min(first + j, params.batch - 1u);
    rows[j] = b * params.seq + t;
    row_ids[j] = token_id(rows[j], b, t);
  }
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    let position = position_vec4(t, chunk);
    for (var j = 0u; j < ROWS_PER_INVOCATION; j++) {
      store_vec4(rows[j], chunk, token_vec4(row_ids[j], chunk) + position);
    }
  }
}
