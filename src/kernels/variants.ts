/**
 * Kernel variants and the plan that picks one per op shape (issue #15, "kernels that tune
 * themselves"). Our kernels were tuned on SwiftShader (register tiles, no workgroup memory); a
 * real GPU may want workgroup-memory tiling or subgroups. Each of our four op kinds offers a
 * small set of variants; the tuner (tuning.ts) times them on the person's adapter for each op
 * shape of a run and writes the fastest into the plan; conv.ts asks the plan which program to
 * build. A shape the plan does not name runs 'register', today's kernel.
 *
 * The worker caches plans per adapter and shape in IndexedDB (storage/), so a later visit on
 * the same GPU pays nothing.
 */

/** Our kernel functions whose program has variants. */
export type KernelOp = 'conv2d' | 'conv2dBackpropFilter' | 'conv2dBackpropInput' | 'matMul';

/**
 * 'register': today's register-tiled program (programs.ts). 'workgroup': output tiles staged
 * through workgroup memory. 'subgroup': a subgroup variant, only where the adapter has the
 * `subgroups` feature.
 */
export type KernelVariant = 'register' | 'workgroup' | 'subgroup';

export const KERNEL_VARIANTS: readonly KernelVariant[] = ['register', 'workgroup', 'subgroup'];

/** One op shape of a run, as our kernel function saw it. */
export interface OpShape {
  op: KernelOp;
  /** Stable text naming the op and its whole geometry: the plan's and the cache's key. */
  key: string;
  /** Short, for people: "conv2 dW 5×5×10→26, 16×16". */
  label: string;
}

/** The variant of each op shape, by OpShape.key; a shape not named runs 'register'. */
export type KernelPlan = Readonly<Record<string, KernelVariant>>;

/** What of the adapter the choice of candidates depends on. */
export interface AdapterFeatures {
  subgroups: boolean;
}

let currentPlan: KernelPlan = {};

/** Replaces the plan conv.ts reads (an empty plan: 'register' everywhere). */
export function setKernelPlan(plan: KernelPlan): void {
  currentPlan = plan;
}

export function kernelPlan(): KernelPlan {
  return currentPlan;
}

/** The variant the plan names for `key`, or 'register'. */
export function variantFor(key: string): KernelVariant {
  return currentPlan[key] ?? 'register';
}

/** The variants worth timing for `op` on an adapter with `features`. */
export function candidateVariants(op: KernelOp, features: AdapterFeatures): KernelVariant[] {
  void op;
  return features.subgroups ? ['register', 'workgroup', 'subgroup'] : ['register', 'workgroup'];
}
