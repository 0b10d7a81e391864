// Token-table access for f32 tables of any dim: four scalar loads per chunk of 4 columns (fewer at
// the end of a row). The host prepends DIM, SEGMENT_ROWS (rows per storage binding),
// `table_segment(id)` and `table_element(segment, index) -> f32`, which reads element `index` of
// segment `segment`.

fn token_vec4(id: u32, chunk: u32) -> vec4f {
  let segment = table_segment(id);
  let base = (id - segment * SEGMENT_ROWS) * DIM + chunk * 4u;
  var value = vec4f();
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      value[k] = table_element(segment, base + k);
    }
  }
  return value;
}
