import { DEFAULT_SETTINGS, SETTING_KEYS, type Settings } from '../config/settings.ts';
import type { RunRecordStatus, SeriesPoint } from '../common/types.ts';
import { dataSetOf, type LearningRateChange, type RunOrigin, type RunRecord } from './runRecord.ts';
import { FASHION_MNIST_DATA_ID } from '../data/uploadedData.ts';

/**
 * Labels, colours, chart series and table rows for comparing runs. Pure functions of the
 * records: the history store, the charts and the CSV export all derive the same labels here,
 * so a run reads the same in the legend, the table and the exported file.
 */

/**
 * Labels list differences in the form's order, so that "lr 0.1, batch 64" never reads
 * "batch 64, lr 0.1" for another run.
 */
export const SETTING_KEYS_IN_ORDER = SETTING_KEYS;

/**
 * One setting's value in the book's terms: "lr 0.1", "no conv4", "sigmoid". The label names the
 * value, not the change, so the same run reads the same whatever it is compared with.
 */
export function settingLabel<K extends keyof Settings>(key: K, value: Settings[K]): string {
  // The switch narrows `key` but not `value`, hence one widening to the union of setting values.
  const v: Settings[keyof Settings] = value;
  switch (key) {
    case 'learningRate':
      return `lr ${v}`;
    case 'dropout':
      return v === 0 ? 'no dropout' : `dropout ${v}`;
    case 'batchSize':
      return `batch ${v}`;
    case 'epochs':
      return v === 1 ? '1 epoch' : `${v} epochs`;
    case 'imageSize':
      return `${v} px`;
    case 'width':
      return `width ${v}`;
    case 'trainExamples':
      return `${v} train`;
    case 'testExamples':
      return `${v} test`;
    case 'seed':
      return `seed ${v}`;
    case 'dropConv':
      // 'none' only shows when compared with a run that does drop one: the full network.
      return v === 'none' ? 'all convs' : `no ${v}`;
    case 'batchNorm':
      return v === 'on' ? 'batch norm' : 'no batch norm';
    case 'activation':
      return String(v);
    case 'lrn':
      return v === 'on' ? 'LRN' : 'no LRN';
    case 'backend':
      return String(v);
    case 'kernels':
      return `${v} kernels`;
    default:
      return `${String(key)} ${String(v)}`;
  }
}

/** The settings that differ from `baseline` (the book's by default), as short labels in order. */
export function settingsDifferences(
  settings: Settings,
  baseline: Readonly<Settings> = DEFAULT_SETTINGS,
): string[] {
  return SETTING_KEYS_IN_ORDER.filter((key) => settings[key] !== baseline[key]).map((key) =>
    settingLabel(key, settings[key]),
  );
}

/** The keys whose value is not the same in all of `settingsList`, in order. */
export function varyingSettingKeys(settingsList: readonly Settings[]): (keyof Settings)[] {
  if (settingsList.length === 0) return [];
  const first = settingsList[0];
  return SETTING_KEYS_IN_ORDER.filter((key) => settingsList.some((s) => s[key] !== first[key]));
}

/**
 * For each record, the settings that tell it apart from the others: the settings that vary among
 * `records`. Four runs of the learning-rate exercise read "lr 0.1", "lr 0.01", … and not also
 * "65 px, width 0.1", which they share. When nothing varies (one run, or repeats of the same
 * settings) each record gets its differences from the book's settings instead, so a lone run
 * still says what it is.
 */
export function distinguishingSettings(records: readonly RunRecord[]): string[][] {
  // The data set comes first: runs on different data differ most of all. Fashion-MNIST is the
  // book's, so, like a book setting, it is named only beside runs on other data.
  const dataIds = new Set(records.map((r) => dataSetOf(r).id));
  const dataVaries = dataIds.size > 1;
  const dataLabel = (r: RunRecord): string[] =>
    dataVaries || dataSetOf(r).id !== FASHION_MNIST_DATA_ID ? [dataSetOf(r).name] : [];
  // Then where it trained: the page is the default, named only beside runs trained elsewhere.
  const originVaries = new Set(records.map((r) => r.origin === undefined)).size > 1;
  const originLabel = (r: RunRecord): string[] =>
    r.origin !== undefined ? [PYTORCH_LABEL] : originVaries ? [BROWSER_LABEL] : [];
  const varying = varyingSettingKeys(records.map((r) => r.settings));
  if (varying.length === 0 && !dataVaries && !originVaries) {
    return records.map((r) => [
      ...dataLabel(r),
      ...originLabel(r),
      ...settingsDifferences(r.settings),
    ]);
  }
  return records.map((r) => [
    ...(dataVaries ? dataLabel(r) : []),
    ...(originVaries ? originLabel(r) : []),
    ...varying.map((key) => settingLabel(key, r.settings[key])),
  ]);
}

/** How a run of the exported PyTorch script (RunRecord.origin) is named in labels. */
export const PYTORCH_LABEL = 'PyTorch';
/** How the page's own runs are named beside such runs. */
export const BROWSER_LABEL = 'browser';

/**
 * Where a run trained, in a few words: the backend of the page's runs ("webgpu"), or
 * "PyTorch · cpu ×2" for a run of the exported script (its device, and its processes when more
 * than one); null when the page's run never reported its backend.
 */
export function ranOnLabel(record: Pick<RunRecord, 'backend' | 'origin'>): string | null {
  if (record.origin !== undefined) return pytorchOriginLabel(record.origin);
  return record.backend;
}

function pytorchOriginLabel(origin: RunOrigin): string {
  const processes = origin.processes > 1 ? ` ×${origin.processes}` : '';
  return `${PYTORCH_LABEL} · ${origin.device}${processes}`;
}

/** What a run is called when it has no name and its settings are the book's. */
export const BOOK_SETTINGS_LABEL = 'book settings';

/**
 * Everything that sets `record` apart from the book's run, whatever it is shown with: its data
 * set when not Fashion-MNIST, then every setting that differs from the book's, in order; "book
 * settings" when none does. A label names only what differs among the runs shown ("lr 0.1");
 * this is the full account behind it, for hover text.
 */
export function settingsSummary(record: RunRecord): string {
  return distinguishingSettings([record])[0].join(', ') || BOOK_SETTINGS_LABEL;
}

/**
 * Unique labels for `records`, in the same order. A run's label is its name when it has one,
 * else its distinguishing settings joined with ", ", else "book settings". Labels that are still
 * equal get " #2", " #3", … in start order (the earliest keeps the bare label), so every legend
 * entry and table row can be told apart.
 */
export function runLabels(records: readonly RunRecord[]): string[] {
  const distinguishing = distinguishingSettings(records);
  const base = records.map((record, i) => {
    const name = record.name.trim();
    if (name !== '') return name;
    return distinguishing[i].length > 0 ? distinguishing[i].join(', ') : BOOK_SETTINGS_LABEL;
  });
  const startOrder = records
    .map((record, i) => ({ startedAt: record.startedAt, i }))
    .sort((a, b) => a.startedAt - b.startedAt || a.i - b.i)
    .map(({ i }) => i);
  const labels: string[] = new Array<string>(records.length);
  // Bare labels are reserved first, so a suffixed label never takes a name someone typed.
  const taken = new Set(base);
  const seen = new Set<string>();
  for (const i of startOrder) {
    if (!seen.has(base[i])) {
      seen.add(base[i]);
      labels[i] = base[i];
      continue;
    }
    let n = 2;
    while (taken.has(`${base[i]} #${n}`)) n += 1;
    labels[i] = `${base[i]} #${n}`;
    taken.add(labels[i]);
  }
  return labels;
}

/**
 * The label of `record` when shown together with `among` (which may or may not include it; it
 * is added when its id is missing). See runLabels for the rules.
 */
export function runLabel(record: RunRecord, among: readonly RunRecord[]): string {
  const index = among.findIndex((r) => r.id === record.id);
  if (index >= 0) return runLabels(among)[index];
  return runLabels([...among, record])[among.length];
}

/**
 * Tableau 10: ten hues chosen to stay distinguishable for the common forms of colour blindness
 * and on a white background (unlike Okabe-Ito's yellow and black).
 */
export const RUN_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** The colour of the run at `index` in a comparison; wraps around after ten runs. */
export function colorForRun(index: number): string {
  const n = RUN_COLORS.length;
  const i = Number.isInteger(index) ? ((index % n) + n) % n : 0;
  return RUN_COLORS[i];
}

export interface RunSeries {
  id: string;
  label: string;
  color: string;
  /** x in fractional epochs (1.5 = half-way through epoch 2). The record's own array. */
  batchLoss: readonly SeriesPoint[];
  /** The record's epochs, which the per-epoch series below are derived from. */
  epochMetrics: RunRecord['epochMetrics'];
  /** x = epoch number: the value at the end of that epoch, on the same axis as batchLoss. */
  trainLoss: SeriesPoint[];
  valLoss: SeriesPoint[];
  trainAccuracy: SeriesPoint[];
  valAccuracy: SeriesPoint[];
  learningRateChanges: readonly LearningRateChange[];
}

/**
 * One series set per record, in order, for overlaying runs on the loss and accuracy charts. The
 * colour follows the position in `records`, so a run has the same colour in every chart drawn
 * from the same list. The record's arrays are shared, not copied (a live run's batch loss grows
 * at every report): the charts copy only the points they have not drawn yet (ui/seriesSync.ts).
 * The per-epoch series are a few points per epoch, derived at each call.
 */
export function overlaySeries(records: readonly RunRecord[]): RunSeries[] {
  const labels = runLabels(records);
  return records.map((record, i) => ({
    id: record.id,
    label: labels[i],
    color: colorForRun(i),
    batchLoss: record.batchLoss,
    epochMetrics: record.epochMetrics,
    trainLoss: record.epochMetrics.map((m) => ({ x: m.epoch, y: m.trainLoss })),
    valLoss: record.epochMetrics.map((m) => ({ x: m.epoch, y: m.valLoss })),
    trainAccuracy: record.epochMetrics.map((m) => ({ x: m.epoch, y: m.trainAccuracy })),
    valAccuracy: record.epochMetrics.map((m) => ({ x: m.epoch, y: m.valAccuracy })),
    learningRateChanges: record.learningRateChanges,
  }));
}

export interface ComparisonRow {
  id: string;
  label: string;
  color: string;
  status: RunRecordStatus;
  statusMessage: string | null;
  /** The settings that tell this run apart from the others (see distinguishingSettings). */
  differences: string[];
  /**
   * The row's hover text: the label, then every setting that differs from the book's (see
   * settingsSummary) when the label does not already say all of it: "lr 0.1 (lr 0.1, 65 px, …)".
   */
  title: string;
  /** From the last completed epoch; null when no epoch completed. Loss may be NaN (diverged). */
  finalTrainLoss: number | null;
  finalTrainAccuracy: number | null;
  finalValLoss: number | null;
  finalValAccuracy: number | null;
  /** Highest validation accuracy of any epoch and the first epoch that reached it. */
  bestValAccuracy: number | null;
  bestValAccuracyEpoch: number | null;
  /**
   * Training throughput over the completed epochs: the harmonic mean of the per-epoch rates,
   * which is total trained images / total training time (validation excluded) because every
   * epoch trains the same number of images. An arithmetic mean would overweight fast epochs.
   * Null when no epoch completed.
   */
  imagesPerSecond: number | null;
  /** Training time, pauses excluded (the record's elapsedMs, not endedAt − startedAt). */
  elapsedMs: number;
  /** The most bytes the worker's tensors held during the run; null when never reported. */
  peakTensorBytes: number | null;
  /** Where it trained (ranOnLabel), or null when not known. */
  ranOn: string | null;
  /** The whole account of where: the WebGPU adapter, or the script's description. */
  ranOnTitle: string | null;
  epochsDone: number;
  epochsPlanned: number;
}

/** Harmonic mean of the finite positive rates; null when there are none. */
function meanRate(rates: readonly number[]): number | null {
  const usable = rates.filter((r) => Number.isFinite(r) && r > 0);
  if (usable.length === 0) return null;
  return usable.length / usable.reduce((sum, r) => sum + 1 / r, 0);
}

/** One table row per record, in order, for comparing finished (or running) runs side by side. */
export function comparisonRows(records: readonly RunRecord[]): ComparisonRow[] {
  const labels = runLabels(records);
  const distinguishing = distinguishingSettings(records);
  return records.map((record, i) => {
    const epochs = record.epochMetrics;
    const last = epochs.length > 0 ? epochs[epochs.length - 1] : null;
    let best: { accuracy: number; epoch: number } | null = null;
    for (const m of epochs) {
      if (!Number.isFinite(m.valAccuracy)) continue;
      if (best === null || m.valAccuracy > best.accuracy) {
        best = { accuracy: m.valAccuracy, epoch: m.epoch };
      }
    }
    const summary = settingsSummary(record);
    return {
      id: record.id,
      label: labels[i],
      color: colorForRun(i),
      status: record.status,
      statusMessage: record.statusMessage,
      differences: distinguishing[i],
      title: labels[i] === summary ? summary : `${labels[i]} (${summary})`,
      finalTrainLoss: last?.trainLoss ?? null,
      finalTrainAccuracy: last?.trainAccuracy ?? null,
      finalValLoss: last?.valLoss ?? null,
      finalValAccuracy: last?.valAccuracy ?? null,
      bestValAccuracy: best?.accuracy ?? null,
      bestValAccuracyEpoch: best?.epoch ?? null,
      imagesPerSecond: meanRate(epochs.map((m) => m.imagesPerSecond)),
      elapsedMs: record.elapsedMs,
      peakTensorBytes: record.peakTensorBytes,
      ranOn: ranOnLabel(record),
      ranOnTitle: record.origin?.description ?? record.adapter,
      epochsDone: epochs.length,
      epochsPlanned: record.settings.epochs,
    };
  });
}
