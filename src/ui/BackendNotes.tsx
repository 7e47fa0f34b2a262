import type { BackendReport } from '../worker/protocol.ts';

/** Why the backend is what it is, and a warning for software adapters. */
export function BackendNotes({
  backend,
  workerError,
}: {
  backend: BackendReport | null;
  workerError: string | null;
}) {
  return (
    <>
      {workerError !== null && (
        <p className="error" role="alert">
          {workerError}
        </p>
      )}
      {backend?.fallbackReason && (
        <p className="warning">
          Running on <strong>{backend.backend}</strong> instead of {backend.requested}:{' '}
          {backend.fallbackReason}.
        </p>
      )}
      {backend?.adapter?.isSoftware && (
        <p className="warning" data-testid="software-adapter-warning">
          This WebGPU adapter (
          {backend.adapter.architecture || backend.adapter.description || 'software'}) is a software
          emulation of a GPU, roughly a hundred times slower than a real one. Try a small image size
          (65–96 px), a width of 0.25 or less and a few hundred training examples.
        </p>
      )}
    </>
  );
}
