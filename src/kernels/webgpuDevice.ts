import * as tf from '@tensorflow/tfjs';
// Registers TF.js's own 'webgpu' backend, which the function below replaces.
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SUBGROUPS_MARKER } from './tiledPrograms.ts';

/**
 * TF.js's 'webgpu' backend, created on a device that also has WebGPU's `subgroups` feature
 * where the adapter offers it (TF.js 4.22 asks only for timestamp queries), so that our
 * 'subgroup' kernel variant (tiledPrograms.ts) can run. Everything else is as TF.js's own
 * registration (its base.ts): the same adapter request, features and limits, priority 3.
 *
 * A shader using subgroup built-ins must start with `enable subgroups;`, but TF.js writes the
 * first lines of every shader module itself; so the device's createShaderModule is wrapped to
 * put the directive in front of the shaders that carry SUBGROUPS_MARKER, and only those.
 */

const WEBGPU_PRIORITY = 3;
let registered = false;

/** `code` with `enable subgroups;` in front when it carries SUBGROUPS_MARKER. */
export function withEnableDirectives(code: string): string {
  return code.includes(SUBGROUPS_MARKER) ? `enable subgroups;\n${code}` : code;
}

async function createBackend(): Promise<WebGPUBackend> {
  const powerPreference: GPUPowerPreference = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU')
    ? 'low-power'
    : 'high-performance';
  const adapter = await navigator.gpu.requestAdapter({ powerPreference });
  if (adapter === null) throw new Error('WebGPU found no adapter');
  // 'subgroups' is newer than the WebGPU type definitions in use.
  const wanted = ['timestamp-query', 'bgra8unorm-storage', 'subgroups'] as GPUFeatureName[];
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: wanted.filter((feature) => adapter.features.has(feature)),
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  if (device.features.has('subgroups')) {
    const createShaderModule = device.createShaderModule.bind(device);
    device.createShaderModule = (descriptor) =>
      createShaderModule({ ...descriptor, code: withEnableDirectives(descriptor.code) });
  }
  return new WebGPUBackend(device, adapter.info);
}

/**
 * Replaces TF.js's 'webgpu' registration with ours (above). Call before the first
 * tf.setBackend('webgpu'); once the backend exists it is left as it is. Does nothing where
 * there is no WebGPU.
 */
export function registerWebGpuBackend(): void {
  if (registered || (globalThis.navigator as Navigator | undefined)?.gpu === undefined) return;
  // Not tf.findBackend: it would start the registered factory, TF.js's own.
  const started = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if ('webgpu' in started) return;
  registered = true;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', createBackend, WEBGPU_PRIORITY);
}
