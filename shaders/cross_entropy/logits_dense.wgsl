// Logits given as a dense [rows, V] tensor. The host prepends V.

@group(0) @binding(1) var<storage, read> logits: array<f32>;

fn logit(row: u32, column: u32) -> f32 {
  return logits[row * V + column];
}
