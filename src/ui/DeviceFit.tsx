import { memo } from 'react';
import type { BackendReport } from '../worker/protocol.ts';
import { describeScale, type FittedSettings } from '../model/deviceFit.ts';
import { deviceWords, formatEstimate, type DeviceSpeed } from '../model/speed.ts';

/**
 * At the top, beside the status: on a slow device (a software GPU, WebGL, the CPU) a warning
 * with what the form's settings would take here; on every device the Quick button, which sets
 * a run of about five minutes fitted to the measured speed (model/deviceFit.ts).
 */
export const DeviceFit = memo(function DeviceFit({
  backend,
  speed,
  formEstimateMs,
  quick,
  disabled,
  onQuick,
}: {
  backend: BackendReport | null;
  speed: DeviceSpeed | null;
  /** The form's settings on this device; null while unknown or invalid. */
  formEstimateMs: number | null;
  quick: FittedSettings | null;
  disabled: boolean;
  onQuick: (fitted: FittedSettings) => void;
}) {
  if (backend === null) return null;
  const software = backend.adapter?.isSoftware === true;
  const slow = software || backend.backend !== 'webgpu';
  const adapterName = backend.adapter?.architecture || backend.adapter?.description || 'software';
  const formTime =
    formEstimateMs === null ? null : (
      <>
        {' '}
        The settings below would take <strong>{formatEstimate(formEstimateMs)}</strong> here.
      </>
    );
  const button = (
    <button
      type="button"
      className="primary"
      disabled={quick === null || disabled}
      title={quick === null ? undefined : describeScale(quick.settings)}
      onClick={() => {
        if (quick !== null) onQuick(quick);
      }}
    >
      {quick === null || speed === null
        ? 'Quick (timing this device…)'
        : `Quick: ${formatEstimate(quick.estimate.totalMs)} on ${deviceWords(speed.kind)}`}
    </button>
  );
  return (
    <div
      className={slow ? 'device-fit warning' : 'device-fit'}
      data-testid={software ? 'software-adapter-warning' : 'device-fit'}
    >
      <p>
        {software && (
          <>
            This WebGPU adapter ({adapterName}) is a software emulation of a GPU, roughly a hundred
            times slower than a real one.
          </>
        )}
        {!software && backend.backend !== 'webgpu' && (
          <>
            Training runs on <strong>{backend.backend}</strong>, much slower than WebGPU on a GPU.
          </>
        )}
        {slow && formTime}{' '}
        {quick !== null && (
          <span className="muted">
            Quick sets {describeScale(quick.settings)}
            {quick.shrunk ? ' (the smallest scale, cut to fit)' : ''}, fitted to the measured speed.
          </span>
        )}
      </p>
      {button}
    </div>
  );
});
