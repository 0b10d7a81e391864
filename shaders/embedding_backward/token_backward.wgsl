// Token-embedding backward without atomics: grad[id, :] += the sum of the rows of grad_output
// whose token is id, added in ascending row order (0 + r1 + r2 + …, as PyTorch's index_add_),
// so that every run gives the same bits. The host groups the rows by id (a counting sort of
// the ids, which are on the CPU) into `plan`:
//   plan[0 .. U)            the distinct ids, ascending
//   plan[U .. 2U + 1)       where each id's rows start in `order` (and where the last ends)
//   plan[2U + 1 ..)         row numbers, grouped by id, ascending within an id
// One invocation sums one id's rows for 4 columns; rows no id touches are not written.
//
// Grid: x = chunk of 4 columns, y = distinct id (from params.first_unique). Each dispatch binds
// one segment of the gradient table (its first row is params.first_row).
// The host prepends DIM, CHUNKS, WORKGROUP_SIZE and load_output4 / add_to_grad4 (rows_*.wgsl).

struct Params {
  unique_count: u32, // U
  first_unique: u32,
  end_unique: u32,
  first_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> plan: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(global_invocation_id) cell: vec3u,
  @builtin(workgroup_id) group: vec3u,
) {
  let chunk = cell.x;
  // From the workgroup id (the same for all its invocations): the plan's reads are uniform, which
  // a compiler may serve with one load for the workgroup.
  let u = params.first_unique + group.y;
  if (chunk >= CHUNKS || u >= params.end_unique) {
    return;
  }
  let id = plan[u];
  let start = plan[params.unique_count + u];
  let end = plan[params.unique_count + u + 1u];
  let order = 2u * params.unique_count + 1u;
  var sum = vec4f();
  for (var j = start; j < end; j++) {
    sum += load_output4(plan[order + j], chunk);
  }
  add_to_grad4(id - params.first_row, chunk, sum);
}
