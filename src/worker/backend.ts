import * as tf from '@tensorflow/tfjs';
// Registers the 'webgpu' backend with tfjs (side effect only).
import '@tensorflow/tfjs-backend-webgpu';
import type { BackendName, KernelsSetting } from '../config/settings.ts';
import { setConvKernels } from '../kernels/register.ts';
import { registerWebGpuBackend } from '../kernels/webgpuDevice.ts';
import type { KernelChoice } from '../common/types.ts';
import type { GpuBufferLimits } from '../model/memory.ts';
import {
  kernelChoiceOf,
  kernelTrialModeOf,
  type KernelTrialMode,
} from '../model/kernelDecision.ts';
import type { AdapterFeatures } from '../kernels/variants.ts';
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
    // By name only: a fallback adapter may be another (WARP), and an adapter that hides its
    // name gets a kernel trial, which is safe, only slower.
    isSwiftShader: /swiftshader/i.test(text),
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
      // Our registration: the device also gets `subgroups` where the adapter has it.
      registerWebGpuBackend();
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
 * Which kernel trial a run on this backend gets (kernelDecision.ts kernelTrialModeOf): none on
 * SwiftShader, one per network shape on every other WebGPU adapter with kernels 'auto'
 * (timed) or 'optimized' (checked only).
 */
export function kernelTrialModeFor(
  setting: KernelsSetting,
  report: BackendReport,
): KernelTrialMode | null {
  return kernelTrialModeOf(setting, report.backend, report.adapter?.isSwiftShader === true);
}

/**
 * Puts the chosen convolution kernels in place for the next run; null when the backend is not
 * WebGPU (the kernels exist only there). 'auto' and 'optimized' mean ours on SwiftShader, and
 * elsewhere what a trial of this network chose (`trialChoice`), else TF.js's
 * (kernelDecision.ts kernelChoiceOf).
 */
export function applyKernels(
  setting: KernelsSetting,
  report: BackendReport,
  trialChoice: KernelChoice | null = null,
): KernelChoice | null {
  const choice = kernelChoiceOf(
    setting,
    report.backend,
    report.adapter?.isSwiftShader === true,
    trialChoice,
  );
  if (choice !== null) setConvKernels(choice);
  return choice;
}

/**
 * What the GPU device TF.js runs on offers our kernels' variants (kernels/variants.ts): the
 * device's features, not the adapter's, since a variant can only use what the device was
 * requested with. None off WebGPU.
 */
export function deviceFeatures(): AdapterFeatures {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return { subgroups: device?.features.has('subgroups') === true };
}
