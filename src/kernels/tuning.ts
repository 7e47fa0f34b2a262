import * as tf from '@tensorflow/tfjs';
import type { AdapterFeatures, KernelOp, KernelPlan, KernelVariant, OpShape } from './variants.ts';

/**
 * STAND-IN for the tuner (issue #15 part 2): the real one, written beside the kernel variants,
 * replaces this file. Same signatures; it records the op shapes of a step by wrapping the
 * registered kernels for the step's length, and "tunes" each shape by timing the one variant
 * that exists here, 'register' (the kernel as registered, on fresh inputs of the recorded
 * shape), so that the worker's tuning, its progress, Stop and the cache can be built and tested.
 */

const OPS: Readonly<Record<string, KernelOp>> = {
  Conv2D: 'conv2d',
  FusedConv2D: 'conv2d',
  Conv2DBackpropFilter: 'conv2dBackpropFilter',
  Conv2DBackpropInput: 'conv2dBackpropInput',
  BatchMatMul: 'matMul',
  _FusedMatMul: 'matMul',
};

interface Recorded {
  kernelName: string;
  /** Input name → shape. */
  shapes: [string, number[]][];
  attrs: tf.NamedAttrMap;
}

/** What each recorded key needs to run its kernel again, for tuneKernels. */
const recorded = new Map<string, Recorded>();

/** Runs `step` with recording on; the distinct op shapes our kernels saw (none off WebGPU). */
export function recordOpShapes(step: () => void): OpShape[] {
  const seen = new Map<string, OpShape>();
  const restore: tf.KernelConfig[] = [];
  for (const kernelName of Object.keys(OPS)) {
    const config = tf.getKernel(kernelName, 'webgpu');
    if (config == null) continue;
    restore.push(config);
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const shapes = Object.entries(args.inputs).flatMap(([name, input]) =>
          input == null ? [] : [[name, input.shape] as [string, number[]]],
        );
        const attrs = (args.attrs ?? {}) as tf.NamedAttrMap;
        const key = `${kernelName} ${JSON.stringify(shapes)} ${JSON.stringify(attrs)}`;
        if (!seen.has(key)) {
          recorded.set(key, { kernelName, shapes, attrs });
          const label = `${OPS[kernelName]} ${shapes.map(([, s]) => s.join('×')).join(', ')}`;
          seen.set(key, { op: OPS[kernelName], key, label });
        }
        return config.kernelFunc(args);
      },
    });
  }
  try {
    step();
  } finally {
    for (const config of restore) {
      tf.unregisterKernel(config.kernelName, 'webgpu');
      tf.registerKernel(config);
    }
  }
  return [...seen.values()];
}

/** Milliseconds of `repeats` runs of the recorded kernel, read back at the end. */
async function timeKernel(shape: OpShape, repeats: number): Promise<number | null> {
  const what = recorded.get(shape.key);
  if (what === undefined) return null;
  const inputs: tf.NamedTensorMap = Object.fromEntries(
    what.shapes.map(([name, dims]) => [name, tf.randomUniform(dims, -1, 1)]),
  );
  try {
    const startedAt = performance.now();
    for (let i = 0; i < repeats; i++) {
      const out = tf.engine().runKernel(what.kernelName, inputs, what.attrs) as tf.Tensor;
      await out.data();
      out.dispose();
    }
    return (performance.now() - startedAt) / repeats;
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

export async function tuneKernels(
  shapes: OpShape[],
  options: {
    features: AdapterFeatures;
    known?: KernelPlan;
    shouldStop?: () => boolean;
    onProgress?: (p: { shapesDone: number; shapesTotal: number; current: string | null }) => void;
    repeats?: number;
    budgetMs?: number;
  },
): Promise<{
  plan: KernelPlan;
  timings: {
    key: string;
    label: string;
    msByVariant: Partial<Record<KernelVariant, number>>;
    chosen: KernelVariant;
  }[];
  complete: boolean;
} | null> {
  const deadline = performance.now() + (options.budgetMs ?? Infinity);
  const plan: Record<string, KernelVariant> = { ...options.known };
  const timings = [];
  const todo = shapes.filter((shape) => options.known?.[shape.key] === undefined);
  for (const [i, shape] of todo.entries()) {
    // A macrotask between shapes, so that a Stop message reaches the worker.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (options.shouldStop?.() === true) return null;
    if (performance.now() > deadline) return { plan, timings, complete: false };
    options.onProgress?.({ shapesDone: i, shapesTotal: todo.length, current: shape.label });
    const ms = await timeKernel(shape, options.repeats ?? 2);
    plan[shape.key] = 'register';
    const msByVariant = ms === null ? {} : { register: ms };
    timings.push({ key: shape.key, label: shape.label, msByVariant, chosen: 'register' as const });
  }
  options.onProgress?.({ shapesDone: todo.length, shapesTotal: todo.length, current: null });
  return { plan, timings, complete: true };
}
