// Token ids read from a GPU-resident token stream: row (b, t) is stream[starts[b] + t], so a batch
// uploads only its B window starts. The stream may span several storage bindings ("chunks"); the
// host prepends STREAM_CHUNK_ROWS (ids per chunk), `stream_segment(index)` and
// `stream_element(chunk, index) -> u32`, which reads id `index` of chunk `chunk`.

@group(0) @binding(3) var<storage, read> starts: array<u32>;

fn token_id(row: u32, b: u32, t: u32) -> u32 {
  let index = starts[b] + t;
  let chunk = stream_segment(index);
  return stream_element(chunk, index - chunk * STREAM_CHUNK_ROWS);
}
