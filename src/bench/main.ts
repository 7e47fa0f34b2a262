import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { alexNetLayers } from '../model/architecture.ts';
import { buildAlexNet } from '../model/alexnet.ts';
import { prepareImages, trainStep } from '../model/training.ts';

const out = document.getElementById('out') as HTMLPreElement;
const log = (line: string) => {
  out.textContent += `\n${line}`;
  console.log(line);
};

async function main() {
  const params = new URLSearchParams(location.search);
  const size = Number(params.get('size') ?? 65);
  const width = Number(params.get('width') ?? 0.1);
  const batch = Number(params.get('batch') ?? 32);
  const steps = Number(params.get('steps') ?? 3);
  for (const flag of params.getAll('flag')) {
    const [name, value] = flag.split('=');
    tf.env().set(name ?? '', value === 'true' ? true : value === 'false' ? false : Number(value));
  }
  await tf.setBackend(params.get('backend') ?? 'webgpu');
  await tf.ready();
  log(`backend ${tf.getBackend()} size ${size} width ${width} batch ${batch}`);
  const model = buildAlexNet(alexNetLayers({ width, dropout: 0.5, numClasses: 10 }), size, 1);
  const optimizer = tf.train.sgd(0.01);
  const pixels = new Uint8Array(batch * 784).map((_, i) => (i * 7) % 256);
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const images = prepareImages(pixels, batch, 28, size);
    await images.data();
    const t1 = performance.now();
    const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
    const t2 = performance.now();
    await loss.data();
    const t3 = performance.now();
    log(
      `step ${s}: prepare ${(t1 - t0).toFixed(0)} ms, enqueue ${(t2 - t1).toFixed(0)} ms, finish ${(t3 - t2).toFixed(0)} ms`,
    );
    images.dispose();
    loss.dispose();
    correct.dispose();
  }
  // Per-kernel breakdown of one step.
  const images = prepareImages(pixels, batch, 28, size);
  const profile = await tf.profile(() => {
    const { loss, correct } = trainStep(model, optimizer, images, labels, 10);
    return [loss, correct];
  });
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
  }
  log(`kernels: ${profile.kernels.length}`);
  for (const k of [...profile.kernels]
    .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number))
    .slice(0, 12)) {
    log(
      `  ${k.name} ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}: ${(k.kernelTimeMs as number).toFixed(1)} ms`,
    );
  }
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15))
    log(`  ${name}: ${ms.toFixed(1)} ms`);
  log('done');
}
main().catch((e) => log(`error ${e}`));
