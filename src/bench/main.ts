import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { alexNetLayers } from '../model/architecture.ts';
import { buildAlexNet } from '../model/alexnet.ts';
import { computeLayerTable } from '../model/layerTable.ts';
import { prepareImages, trainStep } from '../model/training.ts';
import { BENCH_PRESETS, type BenchConfig, type BenchReport, type BenchResult } from './presets.ts';

/**
 * The training-step benchmark page. It times forward + backward + SGD update with the batch
 * already on the device, awaiting the device work of every step (a readback of the loss), and
 * reports the median and spread. `scripts/bench.mjs` drives it in headless Chromium.
 *
 * Query: ?preset=quick|standard, or ?size=65&width=0.1&batch=32&steps=3; flag=NAME=value sets a
 * TF.js flag (e.g. flag=WEBGPU_MATMUL_PROGRAM_TYPE=3).
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

async function timeConfig(config: BenchConfig): Promise<BenchResult> {
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
        `  ${config.name} step ${step + 1}: ${elapsed.toFixed(0)} ms${step < config.warmupSteps ? ' (warm-up)' : ''}`,
      );
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
  for (const flag of params.getAll('flag')) {
    const [name = '', value = ''] = flag.split('=');
    tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number(value));
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
  const report: BenchReport = {
    backend: tf.getBackend(),
    adapter: await adapterDescription(),
    userAgent: navigator.userAgent,
    kernels: 'stock',
    results: [],
  };
  log(`backend ${report.backend}, adapter ${report.adapter}`);
  for (const config of configs) report.results.push(await timeConfig(config));
  window.benchReport = report;
  log('done');
}

main().catch((error: unknown) => {
  log(`error ${error instanceof Error ? error.message : String(error)}`);
  window.benchReport = { error: String(error) } as unknown as BenchReport;
});
