// Output and positional-table access by chunks of 4 columns, for a dim that is a multiple of 4:
// one vec4 load or store each. The host prepends CHUNKS (dim / 4).

@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<storage, read> positions: array<vec4f>;

fn position_vec4(t: u32, chunk: u32) -> vec4f {
  return positions[t * CHUNKS + chunk];
}

fn store_vec4(row: u32, chunk: u32, value: vec4f) {
  out[row * CHUNKS + chunk] = value;
}
