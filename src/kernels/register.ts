import * as tf from '@tensorflow/tfjs';
// Registers the 'webgpu' backend and its stock kernels (side effect only).
import '@tensorflow/tfjs-backend-webgpu';
import {
  makeBatchMatMul,
  makeConv2D,
  makeConv2DBackpropFilter,
  makeConv2DBackpropInput,
  makeFusedConv2D,
  makeFusedMatMul,
} from './conv.ts';
import { makeBiasAdd, makeLeadingSum } from './bias.ts';
import { GREY_IMAGES_CONFIG, GREY_IMAGES_KERNEL } from './inputImages.ts';
import type { KernelChoice } from '../common/types.ts';

/**
 * Swaps our WGSL convolution (and batched matrix product) kernels (conv.ts) and the bias's
 * add and sum (bias.ts) in and out of
 * TF.js's kernel registry for the 'webgpu' backend, with the input pipeline's kernel
 * (inputImages.ts). 'stock' restores the kernels that @tensorflow/tfjs-backend-webgpu
 * registered; 'optimized' registers ours, which delegate to the stock ones for any case they
 * do not handle. Idempotent; safe to call before or after the backend is initialised.
 */

const BACKEND = 'webgpu';

const FACTORIES: Readonly<Record<string, (stock: tf.KernelFunc) => tf.KernelFunc>> = {
  Conv2D: makeConv2D,
  FusedConv2D: makeFusedConv2D,
  Conv2DBackpropFilter: makeConv2DBackpropFilter,
  Conv2DBackpropInput: makeConv2DBackpropInput,
  // The dense layers' products: the stock kernel is as slow on SwiftShader as its convolutions.
  BatchMatMul: makeBatchMatMul,
  _FusedMatMul: makeFusedMatMul,
  // The bias's add and its gradient (bias.ts): tfjs fuses neither under a gradient tape.
  Add: makeBiasAdd,
  Sum: makeLeadingSum,
};

/** The kernel names this module replaces. */
export const CONV_KERNEL_NAMES: readonly string[] = Object.keys(FACTORIES);

let current: KernelChoice = 'stock';
const stockConfigs = new Map<string, tf.KernelConfig>();

function saveStockConfigs(): void {
  if (stockConfigs.size > 0) return;
  for (const name of CONV_KERNEL_NAMES) {
    const config = tf.getKernel(name, BACKEND);
    if (config == null) throw new Error(`no stock ${name} kernel for ${BACKEND}`);
    stockConfigs.set(name, config);
  }
}

function swap(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, BACKEND) != null) {
    tf.unregisterKernel(config.kernelName, BACKEND);
  }
  tf.registerKernel(config);
}

export function setConvKernels(choice: KernelChoice): void {
  if (choice === current) return;
  saveStockConfigs();
  for (const [name, stock] of stockConfigs) {
    if (choice === 'stock') {
      swap(stock);
    } else {
      const factory = FACTORIES[name];
      swap({ ...stock, kernelFunc: factory(stock.kernelFunc) });
    }
  }
  // The input pipeline's kernel (inputImages.ts) replaces tfjs ops, not a stock kernel, so it
  // exists only with ours: 'stock' keeps TF.js's own path (cast, divide, resizeBilinear).
  const hasGreyImages = tf.getKernel(GREY_IMAGES_KERNEL, BACKEND) != null;
  if (choice === 'optimized' && !hasGreyImages) tf.registerKernel(GREY_IMAGES_CONFIG);
  if (choice === 'stock' && hasGreyImages) tf.unregisterKernel(GREY_IMAGES_KERNEL, BACKEND);
  current = choice;
}
