// Benchmark helper, not a module kernel: sum(a * b) in two passes. Each workgroup reduces one
// chunk of `chunk` elements into partials[group] (a fixed tree, so the result is deterministic);
// the host runs it again over the partials (with b = ones) into one value.

struct Params {
  count: u32, // elements of a and b
  chunk: u32, // elements per workgroup
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

var<workgroup> sums: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let start = group.x * params.chunk;
  let end = min(start + params.chunk, params.count);
  var sum = 0.0;
  for (var i = start + lane; i < end; i += 64u) {
    sum += a[i] * b[i];
  }
  sums[lane] = sum;
  workgroupBarrier();
  for (var width = 32u; width > 0u; width >>= 1u) {
    if (lane < width) {
      sums[lane] += sums[lane + width];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    partials[group.x] = sums[0];
  }
}
