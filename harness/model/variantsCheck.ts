import * as tf from '@tensorflow/tfjs';
import { setConvKernels } from '../../src/kernels/register.ts';
import type { KernelChoice } from '../../src/common/types.ts';
import {
  ALEXNET_LRN,
  alexNetLayers,
  ARCHITECTURE_VARIANTS,
  type ArchitectureOptions,
} from '../../src/model/architecture.ts';
import { buildAlexNet } from '../../src/model/alexnet.ts';
import { localResponseNorm } from '../../src/model/lrn.ts';
import { preflightVariant } from '../../src/model/preflight.ts';
import { evaluateBatch, trainStep } from '../../src/model/training.ts';

/**
 * Browser check (variants-test.html, e2e/variants.spec.ts) that every architecture variant
 * trains on WebGPU with both kernel sets: preflight, one SGD step and one evaluation pass on a
 * tiny network (65 px, width 0.1, batch 4: SwiftShader is slow), with finite losses, no GPU
 * error and no leaked tensors; and LRN's value and gradient on WebGPU against TF's own LRN on
 * the CPU.
 */

export interface VariantCheckResult {
  variant: string;
  kernels: KernelChoice;
  preflight: string | null;
  trainLoss: number;
  evalLoss: number;
  milliseconds: number;
}

export interface VariantsCheckReport {
  done: boolean;
  results: VariantCheckResult[];
  /** LRN on WebGPU against tf.localResponseNormalization on the CPU: max |a − b| / max |b|. */
  lrn: { forwardRelError: number; gradientRelError: number } | null;
  gpuErrors: string[];
  tensorsBefore: number;
  tensorsAfter: number;
  error?: string;
}

declare global {
  interface Window {
    variantsCheck?: VariantsCheckReport;
  }
}

export const CHECKED_VARIANTS: Readonly<Record<string, Partial<ArchitectureOptions>>> = {
  book: {},
  ...ARCHITECTURE_VARIANTS,
};

const IMAGE_SIZE = 65;
const WIDTH = 0.1;
const BATCH = 4;
const NUM_CLASSES = 10;

async function switchBackend(name: 'cpu' | 'webgpu'): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`${name} backend did not start`);
  await tf.ready();
}

/** LRN's output and input gradient for a fixed random input and upstream gradient. */
async function lrnOnBackend(
  backend: 'cpu' | 'webgpu',
  ours: boolean,
): Promise<[Float32Array, Float32Array]> {
  await switchBackend(backend);
  const x = tf.randomNormal([2, 5, 5, 24], 0, 30, 'float32', 21) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 5, 5, 24], 0, 1, 'float32', 22) as tf.Tensor4D;
  // A larger alpha than the paper's, so the normalization visibly matters.
  const params = { ...ALEXNET_LRN, alpha: 1e-3 };
  const f = (t: tf.Tensor) =>
    ours
      ? localResponseNorm(t as tf.Tensor4D, params)
      : tf.localResponseNormalization(
          t as tf.Tensor4D,
          (params.size - 1) / 2,
          params.k,
          params.alpha,
          params.beta,
        );
  const y = f(x);
  const gradient = tf.grad(f)(x, dy);
  const values: [Float32Array, Float32Array] = [
    (await y.data()) as Float32Array,
    (await gradient.data()) as Float32Array,
  ];
  tf.dispose([x, dy, y, gradient]);
  return values;
}

function relError(actual: Float32Array, expected: Float32Array): number {
  let error = 0;
  let scale = 1e-6;
  expected.forEach((value, index) => {
    error = Math.max(error, Math.abs(value - (actual[index] ?? NaN)));
    scale = Math.max(scale, Math.abs(value));
  });
  return error / scale;
}

async function checkVariant(
  variant: string,
  options: Partial<ArchitectureOptions>,
  kernels: KernelChoice,
): Promise<VariantCheckResult> {
  const started = performance.now();
  const layers = alexNetLayers({ width: WIDTH, dropout: 0.5, numClasses: NUM_CLASSES, ...options });
  const model = buildAlexNet(layers, IMAGE_SIZE, 1);
  const optimizer = tf.train.sgd(0.01);
  const images = tf.randomUniform([BATCH, IMAGE_SIZE, IMAGE_SIZE, 1], 0, 1, 'float32', 5);
  const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
  try {
    const preflight = (await preflightVariant(model, IMAGE_SIZE, NUM_CLASSES))?.message ?? null;
    const step = trainStep(model, optimizer, images as tf.Tensor4D, labels, NUM_CLASSES);
    const [trainLoss = NaN] = await step.loss.data();
    tf.dispose([step.loss, step.correct]);
    const evaluation = evaluateBatch(model, images as tf.Tensor4D, labels, NUM_CLASSES);
    const [lossSum = NaN] = await evaluation.lossSum.data();
    tf.dispose([evaluation.lossSum, evaluation.correct, evaluation.predicted]);
    return {
      variant,
      kernels,
      preflight,
      trainLoss,
      evalLoss: lossSum / BATCH,
      milliseconds: Math.round(performance.now() - started),
    };
  } finally {
    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  }
}

export async function runVariantsCheck(log: (line: string) => void): Promise<VariantsCheckReport> {
  const report: VariantsCheckReport = {
    done: false,
    results: [],
    lrn: null,
    gpuErrors: [],
    tensorsBefore: 0,
    tensorsAfter: 0,
  };
  const [cpuY, cpuGradient] = await lrnOnBackend('cpu', false);
  const [gpuY, gpuGradient] = await lrnOnBackend('webgpu', true);
  report.lrn = {
    forwardRelError: relError(gpuY, cpuY),
    gradientRelError: relError(gpuGradient, cpuGradient),
  };
  log(`LRN webgpu vs cpu: ${JSON.stringify(report.lrn)}`);
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (device === undefined) throw new Error('the webgpu backend has no device');
  device.addEventListener('uncapturederror', (event) => {
    report.gpuErrors.push(event.error.message);
  });
  report.tensorsBefore = tf.memory().numTensors;
  for (const kernels of ['optimized', 'stock'] as const) {
    setConvKernels(kernels);
    for (const [variant, options] of Object.entries(CHECKED_VARIANTS)) {
      const result = await checkVariant(variant, options, kernels);
      report.results.push(result);
      log(
        `${kernels} | ${variant} | train loss ${result.trainLoss.toFixed(4)} | ` +
          `eval loss ${result.evalLoss.toFixed(4)} | preflight ${result.preflight ?? 'ok'} | ` +
          `${result.milliseconds} ms`,
      );
    }
  }
  report.tensorsAfter = tf.memory().numTensors;
  report.done = true;
  return report;
}
