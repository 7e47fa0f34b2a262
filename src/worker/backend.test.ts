import { describe, expect, it } from 'vitest';
import { describeAdapter, kernelTrialModeFor } from './backend.ts';
import type { BackendReport } from './protocol.ts';

const LIMITS = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

function adapter(vendor: string, architecture: string, description: string, fallback = false) {
  const info = { vendor, architecture, device: '', description } as GPUAdapterInfo;
  return describeAdapter(info, fallback, LIMITS);
}

function report(description: ReturnType<typeof adapter>): BackendReport {
  return { requested: 'webgpu', backend: 'webgpu', adapter: description, fallbackReason: null };
}

/** Issue 14 item 2: SwiftShader, by its name, is the one adapter that runs ours unchecked. */
describe('the adapter and the kernel trial', () => {
  const swiftShader = adapter('google', 'swiftshader', 'SwiftShader Device (Subzero)', true);
  const lavapipe = adapter('mesa', '', 'llvmpipe (LLVM 15.0.7, 256 bits)');
  const warp = adapter('microsoft', '', 'Microsoft Basic Render Driver', true);
  const gpu = adapter('nvidia', 'ada', 'NVIDIA GeForce RTX 4090');
  // How e2e/kernelTrial.spec.ts shows SwiftShader to the worker.
  const pretend = adapter('pretend', 'real-gpu', '');

  it('tells SwiftShader from other software adapters', () => {
    expect(swiftShader).toMatchObject({ isSoftware: true, isSwiftShader: true });
    expect(lavapipe).toMatchObject({ isSoftware: true, isSwiftShader: false });
    expect(warp).toMatchObject({ isSoftware: true, isSwiftShader: false });
    expect(gpu).toMatchObject({ isSoftware: false, isSwiftShader: false });
    expect(pretend).toMatchObject({ isSoftware: false, isSwiftShader: false });
  });

  it('gives every adapter but SwiftShader a trial, with kernels auto or optimized', () => {
    for (const other of [lavapipe, warp, gpu, pretend]) {
      expect(kernelTrialModeFor('auto', report(other))).toBe('time');
      // Before the fix: no trial (ours ran unchecked), as with auto on lavapipe.
      expect(kernelTrialModeFor('optimized', report(other))).toBe('check');
      expect(kernelTrialModeFor('stock', report(other))).toBeNull();
    }
    expect(kernelTrialModeFor('auto', report(swiftShader))).toBeNull();
    expect(kernelTrialModeFor('optimized', report(swiftShader))).toBeNull();
    const cpu: BackendReport = { ...report(gpu), backend: 'cpu', adapter: null };
    expect(kernelTrialModeFor('auto', cpu)).toBeNull();
  });
});
