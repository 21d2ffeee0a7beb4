/** Learning rate at `step` (0-based): linear warm-up to `peak`, then cosine decay to 0 at `total`. */
export function learningRate(step: number, total: number, peak: number, warmup: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return 0.5 * peak * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
