// Token-table access for packed f16 tables of any dim (odd ones too): rows are packed without
// padding, so a row may start in the middle of a 32-bit word; each half is found by its index.
// Every segment starts on a whole word. The host prepends DIM, SEGMENT_ROWS (rows per storage
// binding), `table_segment(id)` and `table_element(segment, index) -> u32`, which reads word
// `index` of a segment.

fn token_vec4(id: u32, chunk: u32) -> vec4f {
  let segment = table_segment(id);
  let base = (id - segment * SEGMENT_ROWS) * DIM + chunk * 4u; // in halves
  var value = vec4f();
  for (var k = 0u; k < 4u; k++) {
    if (chunk * 4u + k < DIM) {
      let half = base + k;
      value[k] = unpack2x16float(table_element(segment, half / 2u))[half % 2u];
    }
  }
  return value;
}
