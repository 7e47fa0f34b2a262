import {
  draftFromSettings,
  architectureFromDraft,
  NUM_CLASSES,
  parseNumericSetting,
  validateFields,
  type ArchitectureSettings,
  type Settings,
  type SettingsDraft,
  type ValidationResult,
} from '../config/settings.ts';
import { alexNetLayers, type ArchitectureOptions } from './architecture.ts';
import { computeLayerTable, vanishedMessage } from './layerTable.ts';
import { estimateTrainingMemory, type MemoryEstimate } from './memory.ts';

/**
 * Settings as the network sees them: the architecture they describe, the full validator (the
 * field rules of config/settings.ts and an image large enough for the network), and the GPU
 * memory a step needs. Pure arithmetic, no TensorFlow.js: the form, the URL and the worker all
 * use it. Here rather than in config so that settings sit below the model.
 */

export function architectureOf(settings: ArchitectureSettings): ArchitectureOptions {
  return {
    width: settings.width,
    dropout: settings.dropout,
    numClasses: NUM_CLASSES,
    dropConv: settings.dropConv,
    batchNorm: settings.batchNorm === 'on',
    activation: settings.activation,
    lrn: settings.lrn === 'on',
  };
}

/** Validates every field, the rules that tie fields together, and that the image is large
 * enough for every layer of the network the draft describes. */
export function validateDraft(draft: SettingsDraft): ValidationResult {
  const fields = validateFields(draft);
  const architecture = architectureFromDraft(draft);
  const imageSize = parseNumericSetting('imageSize', draft.imageSize);
  if (architecture === null || !imageSize.ok) return fields;
  const table = computeLayerTable(alexNetLayers(architectureOf(architecture)), imageSize.value);
  if (table.ok) return fields;
  const errors = fields.ok ? {} : { ...fields.errors };
  return { ok: false, errors: { ...errors, imageSize: vanishedMessage(table.vanished) } };
}

export function validateSettings(settings: Settings): ValidationResult {
  return validateDraft(draftFromSettings(settings));
}

/** GPU memory a training step with these settings needs; null when the image is too small. */
export function trainingMemoryOf(settings: Settings): MemoryEstimate | null {
  const table = computeLayerTable(alexNetLayers(architectureOf(settings)), settings.imageSize);
  return table.ok
    ? estimateTrainingMemory(table.table, settings.imageSize, settings.batchSize)
    : null;
}
