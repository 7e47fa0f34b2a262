import { useMemo } from 'react';
import type { Settings } from '../config/settings.ts';
import {
  pytorchExportProblem,
  pytorchScript,
  pytorchScriptFileName,
  type PytorchOwnData,
} from '../model/pytorchExport.ts';
import { UPLOAD_ROLES } from '../data/uploadedData.ts';
import { downloadText } from '../browser/download.ts';

/**
 * "Export as PyTorch": downloads a d2l-style script with this network variant and these
 * hyperparameters, to train at full scale on one GPU or several (torchrun), writing a run file
 * that the Runs panel imports: on Fashion-MNIST, or, while the person's own data is chosen, on
 * their four files. Disabled, with the reason as its title,
 * without settings PyTorch could train (invalid ones, or batch norm on batches of one) or while
 * the own data's names are invalid (`ownDataProblem`).
 */
export function PytorchExportButton({
  settings,
  runName,
  ownData = null,
  ownDataProblem = null,
}: {
  settings: Settings | null;
  /** Shown in the script's header comment only. */
  runName?: string;
  /** The person's own data set, which the script then trains on, or null for Fashion-MNIST. */
  ownData?: PytorchOwnData | null;
  /** Why the own data chosen cannot be exported yet (its names are invalid), or null. */
  ownDataProblem?: string | null;
}) {
  const problem = useMemo(() => {
    if (settings === null) return 'No valid settings to export';
    if (ownDataProblem !== null) return `Fix the data set's names to export: ${ownDataProblem}`;
    return pytorchExportProblem(settings, ownData);
  }, [settings, ownData, ownDataProblem]);
  const fileName = pytorchScriptFileName(ownData);
  return (
    <button
      type="button"
      disabled={problem !== null}
      title={
        problem ??
        `Download ${fileName}: this network and these hyperparameters in ` +
          'PyTorch (needs only torch and torchvision)' +
          (ownData === null
            ? ''
            : `. It trains on ${ownData.name} from your four files ` +
              `(${UPLOAD_ROLES.map((role) => ownData.summary.files[role]).join(', ')}): ` +
              `run python ${fileName} DATA_DIR, where DATA_DIR is the directory that holds ` +
              "them (by default the script's own)") +
          '. It runs alone or under torchrun, and writes a run file: Import runs shows it ' +
          'beside the runs here.'
      }
      onClick={() => {
        if (settings === null || problem !== null) return;
        const script = pytorchScript(settings, { runName, generatedAt: new Date(), ownData });
        downloadText(fileName, script, 'text/x-python');
      }}
    >
      Export as PyTorch
    </button>
  );
}
