// One torch.optim.AdamW step over one segment of a parameter, in PyTorch's order of operations
// (its single-tensor CPU path), every element whether its gradient is zero or not:
//   param *= 1 - lr · weight_decay
//   m = fma(g, 1 - beta1, beta1 · m)
//   v = fma((1 - beta2) · g, g, beta2 · v)
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   param += (-lr / (1 - beta1^t)) · m / denom
// The two moment updates are fused multiply-adds, as PyTorch's vectorised CPU kernels compute
// them (checked bit for bit against torch 1.13; a device whose fma rounds the product first, as
// llvmpipe's does, differs in the last bit of some elements). The scalar factors are computed on
// the host in float64 and rounded once to f32, as PyTorch does with Python floats.
//
// One invocation updates 4 consecutive elements through vec4 bindings (1–4) of the segment's
// whole vec4s; the last 0–3 elements of a segment whose size is not a multiple of 4 are updated
// by the next invocations through f32 bindings (5–8) of the segment's end (bound from an offset
// the device accepts, so the element is params.tail_first + k of them). The two views overlap
// only in bytes neither touches twice. Elementwise, so each element gets the same arithmetic
// either way.
//
// Grid: 1D, folded into 2D beyond maxComputeWorkgroupsPerDimension (index =
// (group.y · groups.x + group.x) · WORKGROUP_SIZE + lane). The host prepends WORKGROUP_SIZE.

struct Params {
  count4: u32, // whole vec4s of the segment
  decay: f32, // 1 - lr · weight_decay
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  bias_correction2_sqrt: f32, // sqrt(1 - beta2^t)
  eps: f32,
  negative_step_size: f32, // -lr / (1 - beta1^t)
  tail_count: u32, // elements after the last whole vec4 (0 to 3)
  tail_first: u32, // the first of them in the f32 bindings
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> param_tail: array<f32>;
@group(0) @binding(6) var<storage, read> grad_tail: array<f32>;
@group(0) @binding(7) var<storage, read_write> exp_avg_tail: array<f32>;
@group(0) @binding(8) var<storage, read_write> exp_avg_sq_tail: array<f32>;

/** The updated (param, m, v) of 4 elements. */
struct Updated {
  p: vec4f,
  m: vec4f,
  v: vec4f,
}

fn update(param: vec4f, g: vec4f, m: vec4f, v: vec4f) -> Updated {
  let p = param * params.decay;
  let m_new = fma(g, vec4f(params.one_minus_beta1), m * params.beta1);
  let v_new = fma(params.one_minus_beta2 * g, g, v * params.beta2);
  let denom = sqrt(v_new) / params.bias_correction2_sqrt + params.eps;
  return Updated(p + (params.negative_step_size * m_new) / denom, m_new, v_new);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let i = (group.y * groups.x + group.x) * WORKGROUP_SIZE + lane;
  if (i < params.count4) {
    let u = update(param[i], grad[i], exp_avg[i], exp_avg_sq[i]);
    exp_avg[i] = u.m;
    exp_avg_sq[i] = u.v;
    param[i] = u.p;
  } else if (i - params.count4 < params.tail_count) {
    let j = params.tail_first + (i - params.count4);
    let u = update(
      vec4f(param_tail[j]),
      vec4f(grad_tail[j]),
      vec4f(exp_avg_tail[j]),
      vec4f(exp_avg_sq_tail[j]),
    );
    exp_avg_tail[j] = u.m.x;
    exp_avg_sq_tail[j] = u.v.x;
    param_tail[j] = u.p.x;
  }
}
