import * as tf from '@tensorflow/tfjs';
// Registers the 'webgpu' backend with tfjs (side effect only).
import '@tensorflow/tfjs-backend-webgpu';
import type { BackendName, KernelsSetting } from '../config/settings.ts';
import { setConvKernels } from '../kernels/register.ts';
import type { KernelChoice } from '../common/types.ts';
import type { GpuBufferLimits } from '../model/memory.ts';
import type { AdapterDescription, BackendReport } from './protocol.ts';

/**
 * Starts tfjs on the requested backend, falling back WebGPU → WebGL → CPU, and says why it
 * fell back. Runs in the worker.
 */

const FALLBACK_ORDER: Readonly<Record<BackendName, readonly BackendName[]>> = {
  webgpu: ['webgpu', 'webgl', 'cpu'],
  webgl: ['webgl', 'cpu'],
  cpu: ['cpu'],
};

export function describeAdapter(
  info: GPUAdapterInfo,
  isFallbackAdapter: boolean,
  limits: GpuBufferLimits,
): AdapterDescription {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(text),
    limits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    },
  };
}

async function findAdapter(): Promise<
  { ok: true; adapter: AdapterDescription } | { ok: false; reason: string }
> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined) {
    return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  }
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return { ok: false, reason: 'WebGPU found no usable GPU adapter' };
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { ok: true, adapter: describeAdapter(adapter.info, fallback === true, adapter.limits) };
}

/**
 * A WebGPU validation or out-of-memory error does not throw: the kernel silently produces
 * garbage. Route such errors, and device loss, to the caller so the run can fail loudly.
 */
function watchDeviceErrors(onDeviceError: DeviceErrorHandler): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (device === undefined) return;
  device.addEventListener('uncapturederror', (event) => {
    onDeviceError(
      `The GPU reported an error: ${(event as GPUUncapturedErrorEvent).error.message}`,
      false,
    );
  });
  void device.lost.then((info) =>
    onDeviceError(`The GPU device was lost (${info.reason}): ${info.message}`, true),
  );
}

/** `deviceLost`: the device is gone for good and the backend with it. */
export type DeviceErrorHandler = (message: string, deviceLost: boolean) => void;

export async function initBackend(
  requested: BackendName,
  onDeviceError: DeviceErrorHandler,
): Promise<BackendReport> {
  const reasons: string[] = [];
  let adapter: AdapterDescription | null = null;
  for (const candidate of FALLBACK_ORDER[requested]) {
    if (candidate === 'webgpu') {
      const found = await findAdapter();
      if (!found.ok) {
        reasons.push(found.reason);
        continue;
      }
      adapter = found.adapter;
    }
    try {
      if (await tf.setBackend(candidate)) {
        await tf.ready();
        if (candidate === 'webgpu') watchDeviceErrors(onDeviceError);
        return {
          requested,
          backend: candidate,
          adapter: candidate === 'webgpu' ? adapter : null,
          fallbackReason: reasons.length > 0 ? reasons.join('; ') : null,
        };
      }
      reasons.push(`${candidate} could not be initialised`);
    } catch (error) {
      reasons.push(
        `${candidate} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${reasons.join('; ')}`);
}

/**
 * Whether kernels 'auto' decides by timing both kernel sets on this GPU (kernelTrial.ts): on a
 * real GPU, which ours have not been measured on. On a software adapter the benchmark measured
 * ours 5–6× faster at the book's sizes, and a stock step there can take a minute.
 */
export function needsKernelTrial(setting: KernelsSetting, report: BackendReport): boolean {
  return setting === 'auto' && report.backend === 'webgpu' && report.adapter?.isSoftware !== true;
}

/**
 * Puts the chosen convolution kernels in place for the next run; null when the backend is not
 * WebGPU (the kernels exist only there). 'auto' picks ours on a software adapter, and on a real
 * GPU what a kernel trial of this network chose (`trialChoice`), else TF.js's.
 */
export function applyKernels(
  setting: KernelsSetting,
  report: BackendReport,
  trialChoice: KernelChoice | null = null,
): KernelChoice | null {
  if (report.backend !== 'webgpu') return null;
  const softwareChoice = report.adapter?.isSoftware === true ? 'optimized' : null;
  const choice: KernelChoice =
    setting === 'auto' ? (softwareChoice ?? trialChoice ?? 'stock') : setting;
  setConvKernels(choice);
  return choice;
}
