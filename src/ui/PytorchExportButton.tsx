import { useMemo } from 'react';
import type { Settings } from '../config/settings.ts';
import {
  PYTORCH_SCRIPT_FILE_NAME,
  pytorchExportProblem,
  pytorchScript,
} from '../model/pytorchExport.ts';
import { downloadText } from './download.ts';

/**
 * "Export as PyTorch": downloads a d2l-style script with this network variant and these
 * hyperparameters, to train at full scale on a GPU server. Disabled, with the reason as its
 * title, without settings PyTorch could train (invalid ones, or batch norm on batches of one).
 */
export function PytorchExportButton({
  settings,
  runName,
  ownDataName = null,
}: {
  settings: Settings | null;
  /** Shown in the script's header comment only. */
  runName?: string;
  /** The uploaded data set the page trains on, if any: the script still uses Fashion-MNIST. */
  ownDataName?: string | null;
}) {
  const problem = useMemo(() => {
    if (settings === null) return 'No valid settings to export';
    return pytorchExportProblem(settings);
  }, [settings]);
  return (
    <button
      type="button"
      disabled={problem !== null}
      title={
        problem ??
        `Download ${PYTORCH_SCRIPT_FILE_NAME}: this network and these hyperparameters in ` +
          'PyTorch (needs only torch and torchvision)' +
          (ownDataName === null
            ? ''
            : `. It trains on Fashion-MNIST from torchvision, not on ${ownDataName}.`)
      }
      onClick={() => {
        if (settings === null || problem !== null) return;
        const script = pytorchScript(settings, { runName, generatedAt: new Date() });
        downloadText(PYTORCH_SCRIPT_FILE_NAME, script, 'text/x-python');
      }}
    >
      Export as PyTorch
    </button>
  );
}
