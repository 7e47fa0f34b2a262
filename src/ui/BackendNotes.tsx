import type { BackendReport } from '../worker/protocol.ts';

/** Why the backend is what it is (the slow-device warning is DeviceFit's, at the top). */
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
    </>
  );
}
