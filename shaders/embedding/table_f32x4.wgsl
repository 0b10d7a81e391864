// Token-table access for f32 tables whose dim is a multiple of 4: one vec4 load per chunk of 4
// columns. The host prepends CHUNKS (dim / 4), SEGMENT_ROWS (rows per storage binding),
// `table_segment(id)` and `table_element(segment, index) -> vec4f`, which reads element `index` of
// segment `segment`.

fn token_vec4(id: u32, chunk: u32) -> vec4f {
  let segment = table_segment(id);
  return table_element(segment, (id - segment * SEGMENT_ROWS) * CHUNKS + chunk);
}
