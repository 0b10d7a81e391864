// Token-table access for packed f16 tables whose dim is a multiple of 4: two 32-bit words hold the
// 4 halves of a chunk, widened to f32 by unpack2x16float (core WGSL, no shader-f16 feature). The
// host prepends CHUNKS (dim / 4), SEGMENT_ROWS (rows per storage binding), `table_segment(id)` and
// `table_element(segment, index) -> vec2u`, which reads element `index` of segment `segment`.

fn token_vec4(id: u32, chunk: u32) -> vec4f {
  let segment = table_segment(id);
  let words = table_element(segment, (id - segment * SEGMENT_ROWS) * CHUNKS + chunk);
  return vec4f(unpack2x16float(words.x), unpack2x16float(words.y));
}
