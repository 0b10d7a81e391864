// One torch.optim.AdamW step over one segment of a parameter, in PyTorch's order of operations
// (its single-tensor CPU path), every element whether its gradient is zero or not:
//   param *= 1 - lr · weight_decay
//   m = fma(g, 1 - beta1, beta1 · m)
//   v = fma((1 - beta2) · g, g, beta2 · v)
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   param += (-lr / (1 - beta1^t)) · m / denom
// The two moment updates are fused multiply-adds, as PyTorch's vectorised CPU kernels compute
// them (checked bit for bit against torch 1.13). The scalar factors are computed on the host in
// float64 and rounded once to f32, as PyTorch does with Python floats. One invocation updates one element of type E (f32, or vec4f when the
// host binds whole vec4s).
//
// Grid: 1D, folded into 2D beyond maxComputeWorkgroupsPerDimension (index =
// (group.y · groups.x + group.x) · WORKGROUP_SIZE + lane). The host prepends WORKGROUP_SIZE and
// `alias E = …;`.

struct Params {
  count: u32, // elements of type E in this dispatch
  decay: f32, // 1 - lr · weight_decay
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  bias_correction2_sqrt: f32, // sqrt(1 - beta2^t)
  eps: f32,
  negative_step_size: f32, // -lr / (1 - beta1^t)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<E>;
@group(0) @binding(2) var<storage, read> grad: array<E>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<E>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<E>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let i = (group.y * groups.x + group.x) * WORKGROUP_SIZE + lane;
  if (i >= params.count) {
    return;
  }
  let g = grad[i];
  let p = param[i] * params.decay;
  let m = fma(g, E(params.one_minus_beta1), exp_avg[i] * params.beta1);
  let v = fma(params.one_minus_beta2 * g, g, exp_avg_sq[i] * params.beta2);
  let denom = sqrt(v) / params.bias_correction2_sqrt + params.eps;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  param[i] = p + (params.negative_step_size * m) / denom;
}
