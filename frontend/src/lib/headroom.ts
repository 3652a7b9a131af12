// "What can I still run?": the largest common model size whose Q4_K_M weights, 8K-token KV
// cache and compute buffers fit in the free memory. The sizes are typical of the families
// people run (Llama, Qwen, Gemma, Mistral); KV per token is their fp16 cache with grouped-
// query attention.
export interface SizeClass {
  /** Billions of parameters, as model names say it ("14B"). */
  billions: number;
  /** Bytes the whole model needs at Q4_K_M with an 8K context. */
  bytes: number;
}

const GB = 1024 ** 3;
const q4km = 4.85 / 8; // bytes per weight
const compute = 0.45 * GB;

// [billions, KV bytes per token] for typical models of each size.
const classes: [number, number][] = [
  [0.5, 12 * 1024],
  [1, 32 * 1024],
  [3, 112 * 1024],
  [4, 144 * 1024],
  [7, 128 * 1024],
  [8, 128 * 1024],
  [12, 160 * 1024],
  [14, 192 * 1024],
  [24, 160 * 1024],
  [27, 248 * 1024],
  [32, 256 * 1024],
  [70, 320 * 1024],
];

export const sizeClasses: SizeClass[] = classes.map(([b, kv]) => ({ billions: b, bytes: b * 1e9 * q4km + kv * 8192 + compute }));

/** The largest size class that fits in free bytes, or undefined when not even the smallest does. */
export function roomFor(free: number): SizeClass | undefined {
  let best: SizeClass | undefined;
  for (const c of sizeClasses) if (c.bytes <= free) best = c;
  return best;
}
