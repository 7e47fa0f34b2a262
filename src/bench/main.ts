import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { alexNetLayers } from '../model/architecture.ts';
import { buildAlexNet } from '../model/alexnet.ts';
import { computeLayerTable } from '../model/layerTable.ts';
import { prepareImages, trainStep } from '../model/training.ts';
import { convKernelOptions } from '../kernels/conv.ts';
import { setConvKernels, type KernelChoice } from '../kernels/register.ts';
import { runDataBench } from './dataLoad.ts';
import { DENSE96_MATMULS, TINY_LAYERS, TINY_MATMULS, timeConvOps, timeMatMuls } from './ops.ts';
import {
  BENCH_PRESETS,
  type BenchConfig,
  type BenchKernels,
  type BenchReport,
  type BenchResult,
} from './presets.ts';

/**
 * The training-step benchmark page. It times forward + backward + SGD update with the batch
 * already on the device, awaiting the device work of every step (a readback of the loss), and
 * reports the median and spread. `scripts/bench.mjs` drives it in headless Chromium.
 *
 * Query: ?preset=quick|standard, or ?size=65&width=0.1&batch=32&steps=3; flag=NAME=value sets a
 * TF.js flag (e.g. flag=WEBGPU_MATMUL_PROGRAM_TYPE=3); kernels=stock|optimized|both picks the
 * convolution kernels (src/kernels; 'both' times every configuration with each); profile=1
 * adds a per-kernel tf.profile of one step after the timed ones; ops=1 times single conv and
 * matmul ops instead of steps (src/bench/ops.ts;
 * matmuls=dense96 the book's dense layers at 96 px, matmulOnly=1 skips the convolutions); opt=NAME=value tunes our kernels.
 * data=1 times loading the data set instead (dataLoad.ts; repeats=N, default 5).
 */

declare global {
  interface Window {
    benchReport?: BenchReport;
  }
}

const out = document.getElementById('out') as HTMLPreElement;
const log = (line: string) => {
  out.textContent += `${line}\n`;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

type KernelProfile = NonNullable<BenchResult['profile']>;

async function profileStep(step: () => tf.Tensor[]): Promise<KernelProfile> {
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

async function timeConfig(
  config: BenchConfig,
  kernels: KernelChoice,
  withProfile: boolean,
): Promise<BenchResult> {
  setConvKernels(kernels);
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
  try {
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
      });
    }
  } finally {
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
    ...(profile ? { profile } : {}),
  };
}

async function adapterDescription(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const info = adapter.info;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
}

async function main() {
  const params = new URLSearchParams(location.search);
  // data=1: the data-load benchmark instead of training steps (dataLoad.ts).
  if (params.get('data') === '1') {
    await runDataBench(Number(params.get('repeats') ?? 5), log);
    return;
  }
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
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
  const preset = params.get('preset');
  const configs: BenchConfig[] =
    preset !== null
      ? (BENCH_PRESETS[preset] ?? [])
      : [
          {
            name: 'custom',
            imageSize: Number(params.get('size') ?? 65),
            width: Number(params.get('width') ?? 0.1),
            batchSize: Number(params.get('batch') ?? 32),
            warmupSteps: Number(params.get('warmup') ?? 1),
            timedSteps: Number(params.get('steps') ?? 3),
          },
        ];
  if (configs.length === 0) throw new Error(`unknown preset ${preset}`);
  const kernelsParam = params.get('kernels') ?? 'stock';
  if (kernelsParam !== 'stock' && kernelsParam !== 'optimized' && kernelsParam !== 'both') {
    throw new Error(`kernels must be stock, optimized or both, not ${kernelsParam}`);
  }
  const kernels: BenchKernels = kernelsParam;
  const report: BenchReport = {
    backend: tf.getBackend(),
    adapter: await adapterDescription(),
    userAgent: navigator.userAgent,
    kernels,
    results: [],
  };
  log(`backend ${report.backend}, adapter ${report.adapter}, kernels ${kernels}`);
  const choices: KernelChoice[] = kernels === 'both' ? ['stock', 'optimized'] : [kernels];
  const withProfile = params.get('profile') === '1';
  if (params.get('ops') === '1') {
    const repeats = Number(params.get('repeats') ?? 5);
    report.ops = [
      ...(await timeMatMuls(
        params.get('matmuls') === 'dense96' ? DENSE96_MATMULS : TINY_MATMULS,
        choices,
        repeats,
        log,
      )),
      ...(params.get('matmulOnly') === '1'
        ? []
        : await timeConvOps(TINY_LAYERS, choices, repeats, log)),
    ];
    window.benchReport = report;
    log('done');
    return;
  }
  for (const config of configs) {
    for (const choice of choices) {
      report.results.push(await timeConfig(config, choice, withProfile));
    }
  }
  window.benchReport = report;
  log('done');
}

main().catch((error: unknown) => {
  log(`error ${error instanceof Error ? error.message : String(error)}`);
  window.benchReport = { error: String(error) } as unknown as BenchReport;
});
