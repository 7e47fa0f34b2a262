import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { alexNetLayers } from '../../src/model/architecture.ts';
import { buildAlexNet } from '../../src/model/alexnet.ts';
import { computeLayerTable } from '../../src/model/layerTable.ts';
import { prepareImages, trainStep } from '../../src/model/training.ts';
import { convKernelOptions } from '../../src/kernels/conv.ts';
import { setConvKernels } from '../../src/kernels/register.ts';
import { registerWebGpuBackend } from '../../src/kernels/webgpuDevice.ts';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelChoice } from '../../src/common/types.ts';
import { recordOpShapes, tuneKernels } from '../../src/kernels/tuning.ts';
import { setKernelPlan, type KernelOp, type KernelVariant } from '../../src/kernels/variants.ts';
import { convOpShapes, denseMatMuls, timeConvOps, timeMatMuls } from './ops.ts';
import {
  BENCH_PRESETS,
  type BenchConfig,
  type BenchKernelSet,
  type BenchTuning,
  type BenchKernels,
  type BenchReport,
  type BenchResult,
} from './presets.ts';
import { median } from '../../src/model/metrics.ts';

/**
 * The training-step benchmark, shared by the page (main.ts, in Chromium) and the Node runner
 * (node.ts, on Dawn). It times forward + backward + SGD update with the batch already on the
 * device, awaiting the device work of every step (a readback of the loss), and reports the
 * median and spread.
 *
 * Query: ?preset=quick|standard, or ?size=65&width=0.1&batch=32&steps=3; flag=NAME=value sets a
 * TF.js flag (e.g. flag=WEBGPU_MATMUL_PROGRAM_TYPE=3); kernels=stock|optimized|tuned|both|all
 * picks the convolution kernels (src/kernels; 'tuned' is ours with the plan that
 * src/kernels/tuning.ts picks on this adapter for the configuration's op shapes; 'both' times
 * every configuration with stock and optimized, 'all' with the three); profile=1
 * adds a per-kernel tf.profile of one step after the timed ones; ops=1 times the single ops of
 * every layer of the size/width/batch configuration instead of steps (harness/bench/ops.ts: each
 * conv op beside the stock matrix product of the same FLOPs, then the dense layers' products;
 * matmulOnly=1 skips the convolutions, convOnly=1 the dense layers, layers=conv1,conv2 keeps
 * only those convolutions, sameFlops=0 the
 * yardstick products); opt=NAME=value tunes our
 * kernels.
 */

export type BenchLog = (line: string) => void;

type KernelProfile = NonNullable<BenchResult['profile']>;

async function profileStep(step: () => tf.Tensor[], log: BenchLog): Promise<KernelProfile> {
  const info = await tf.profile(() => step());
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byKernel.set(k.name, entry);
  }
  for (const k of [...info.kernels]
    .filter((k) => typeof k.kernelTimeMs === 'number')
    .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number))
    .slice(0, 10)) {
    log(
      `    ${k.name} ${JSON.stringify(k.inputShapes)}: ${(k.kernelTimeMs as number).toFixed(1)} ms`,
    );
  }
  const profile = [...byKernel]
    .map(([name, { ms, calls }]) => ({ name, ms, calls }))
    .sort((a, b) => b.ms - a.ms);
  for (const k of profile.slice(0, 12)) {
    log(`    total ${k.name} ×${k.calls}: ${k.ms.toFixed(1)} ms`);
  }
  return profile;
}

/** Whether TF.js's WebGPU device (not only the adapter) has the `subgroups` feature. */
function deviceHasSubgroups(): boolean {
  const backend = tf.backend() as Partial<WebGPUBackend>;
  return backend.device?.features.has('subgroups') === true;
}

async function timeConfig(
  config: BenchConfig,
  kernels: BenchKernelSet,
  withProfile: boolean,
  log: BenchLog,
): Promise<BenchResult> {
  setConvKernels(kernels === 'stock' ? 'stock' : 'optimized');
  setKernelPlan({});
  const layers = alexNetLayers({ width: config.width, dropout: 0.5, numClasses: 10 });
  const table = computeLayerTable(layers, config.imageSize);
  if (!table.ok) throw new Error(`${config.name}: image size too small`);
  const model = buildAlexNet(layers, config.imageSize, 1);
  const optimizer = tf.train.sgd(0.01);
  const pixels = new Uint8Array(config.batchSize * 28 * 28).map((_, i) => (i * 37) % 256);
  const images = prepareImages(pixels, config.batchSize, 28, config.imageSize);
  const labels = tf.tensor1d(
    Array.from({ length: config.batchSize }, (_, i) => i % 10),
    'int32',
  );
  const stepMs: number[] = [];
  let profile: KernelProfile | undefined;
  let tuning: BenchTuning | undefined;
  try {
    if (kernels === 'tuned') {
      // One step with recording on gives the op shapes (and warms up like a warm-up step).
      const shapes = recordOpShapes(() => {
        const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
        loss.dispose();
        correct.dispose();
      });
      const startedAt = performance.now();
      const result = await tuneKernels(shapes, {
        features: { subgroups: deviceHasSubgroups() },
        onProgress: ({ shapesDone, shapesTotal, current }) => {
          if (current) log(`  tuning ${shapesDone + 1}/${shapesTotal}: ${current.label}`);
        },
      });
      if (result == null) throw new Error('the tuner stopped unasked');
      const chosenByOp: BenchTuning['chosenByOp'] = {};
      for (const shape of shapes) {
        const variant: KernelVariant = result.plan[shape.key] ?? 'register';
        const counts = (chosenByOp[shape.op as KernelOp] ??= {});
        counts[variant] = (counts[variant] ?? 0) + 1;
      }
      tuning = { ...result, tuningMs: performance.now() - startedAt, chosenByOp };
      for (const t of result.timings) {
        const ms = Object.entries(t.msByVariant)
          .map(([v, value]) => `${v} ${value.toFixed(1)}`)
          .join(', ');
        log(`    ${t.label}: ${ms} ms → ${t.chosen}`);
      }
      setKernelPlan(result.plan);
    }
    for (let step = 0; step < config.warmupSteps + config.timedSteps; step++) {
      const startedAt = performance.now();
      const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
      await loss.data();
      const elapsed = performance.now() - startedAt;
      loss.dispose();
      correct.dispose();
      if (step >= config.warmupSteps) stepMs.push(elapsed);
      log(
        `  ${config.name} [${kernels}] step ${step + 1}: ${elapsed.toFixed(0)} ms${step < config.warmupSteps ? ' (warm-up)' : ''}`,
      );
    }
    if (withProfile) {
      log(`  ${config.name} [${kernels}] profile of one step:`);
      profile = await profileStep(() => {
        const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
        return [loss, correct];
      }, log);
    }
  } finally {
    setKernelPlan({});
    images.dispose();
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  }
  const msPerStep = median(stepMs);
  // A training step is about three forward passes of multiply-adds (forward, input gradient,
  // weight gradient); a multiply-add is two FLOPs.
  const usefulFlopsPerStep = 3 * 2 * table.table.totalMultiplyAddsPerImage * config.batchSize;
  return {
    ...config,
    stepMs,
    msPerStep,
    minMs: Math.min(...stepMs),
    maxMs: Math.max(...stepMs),
    imagesPerSecond: config.batchSize / (msPerStep / 1000),
    usefulGflopsPerSecond: usefulFlopsPerStep / (msPerStep / 1000) / 1e9,
    kernels,
    ...(tuning ? { tuning } : {}),
    ...(profile ? { profile } : {}),
  };
}

async function adapterHasSubgroups(): Promise<boolean> {
  const adapter = await navigator.gpu?.requestAdapter();
  return adapter?.features.has('subgroups') === true;
}

async function adapterDescription(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const info = adapter.info;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
}

/**
 * Runs the benchmark the query asks for on the WebGPU backend (or `backend=`), logging progress
 * line by line. `userAgent` names the runtime in the report (the browser's, or Node's and Dawn's).
 */
export async function runBench(
  params: URLSearchParams,
  userAgent: string,
  log: BenchLog,
): Promise<BenchReport> {
  for (const flag of params.getAll('flag')) {
    const [name = '', value = ''] = flag.split('=');
    tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number(value));
  }
  // opt=NAME=value tunes our kernels (src/kernels/conv.ts convKernelOptions).
  for (const opt of params.getAll('opt')) {
    const [name = '', value = ''] = opt.split('=');
    if (name === 'filterGradTargetThreads' || name === 'tileRows' || name === 'matMulTileRows') {
      convKernelOptions[name] = Number(value);
    } else if (name === 'tileCols') {
      convKernelOptions.tileCols = value === 'auto' ? 'auto' : Number(value);
    } else {
      throw new Error(`unknown kernel option ${name}`);
    }
  }
  const backend = params.get('backend') ?? 'webgpu';
  // As the app does (src/worker/backend.ts): a device with `subgroups` where the adapter has it.
  registerWebGpuBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
  const preset = params.get('preset');
  const custom: BenchConfig = {
    name: 'custom',
    imageSize: Number(params.get('size') ?? 65),
    width: Number(params.get('width') ?? 0.1),
    batchSize: Number(params.get('batch') ?? 32),
    warmupSteps: Number(params.get('warmup') ?? 1),
    timedSteps: Number(params.get('steps') ?? 3),
  };
  const configs: BenchConfig[] = preset !== null ? (BENCH_PRESETS[preset] ?? []) : [custom];
  if (configs.length === 0) throw new Error(`unknown preset ${preset}`);
  const kernelsParam = params.get('kernels') ?? 'stock';
  const kernelSets: Record<BenchKernels, BenchKernelSet[]> = {
    stock: ['stock'],
    optimized: ['optimized'],
    tuned: ['tuned'],
    both: ['stock', 'optimized'],
    all: ['stock', 'optimized', 'tuned'],
  };
  if (!(kernelsParam in kernelSets)) {
    throw new Error(`kernels must be stock, optimized, tuned, both or all, not ${kernelsParam}`);
  }
  const kernels = kernelsParam as BenchKernels;
  const report: BenchReport = {
    backend: tf.getBackend(),
    adapter: await adapterDescription(),
    userAgent,
    kernels,
    ...(backend === 'webgpu'
      ? { subgroups: { adapter: await adapterHasSubgroups(), device: deviceHasSubgroups() } }
      : {}),
    results: [],
  };
  log(`backend ${report.backend}, adapter ${report.adapter}, kernels ${kernels}`);
  if (report.subgroups) {
    log(
      `subgroups: adapter ${report.subgroups.adapter ? 'yes' : 'no'}, TF.js device ${report.subgroups.device ? 'yes' : 'no'}`,
    );
  }
  const choices = kernelSets[kernels];
  const withProfile = params.get('profile') === '1';
  if (params.get('ops') === '1') {
    // The single ops of the size/width/batch configuration (the tiny one by default).
    const repeats = Number(params.get('repeats') ?? 5);
    // Single ops compare the kernel sets; a tuned plan is per training step, not per op.
    const opChoices = choices.filter((c): c is KernelChoice => c !== 'tuned');
    const layers = alexNetLayers({ width: custom.width, dropout: 0.5, numClasses: 10 });
    const table = computeLayerTable(layers, custom.imageSize);
    if (!table.ok) throw new Error(`image size ${custom.imageSize} too small`);
    // layers=conv1,conv3 times only those conv layers.
    const only = params.get('layers')?.split(',');
    const convShapes = convOpShapes(layers, table.table, custom.imageSize, custom.batchSize);
    report.ops = [
      ...(params.get('matmulOnly') === '1'
        ? []
        : await timeConvOps(
            convShapes.filter((shape) => only === undefined || only.includes(shape.name)),
            opChoices,
            repeats,
            log,
            params.get('sameFlops') !== '0',
          )),
      ...(params.get('convOnly') === '1'
        ? []
        : await timeMatMuls(
            denseMatMuls(layers, table.table, custom.batchSize),
            opChoices,
            repeats,
            log,
          )),
    ];
    log('done');
    return report;
  }
  for (const config of configs) {
    for (const choice of choices) {
      report.results.push(await timeConfig(config, choice, withProfile, log));
    }
  }
  log('done');
  return report;
}
