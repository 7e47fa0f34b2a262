import {
  BACKENDS,
  CHOICE_KEYS,
  NUMERIC_KEYS,
  type BackendName,
  type Settings,
} from '../config/settings.ts';
import { validateSettings } from '../model/settingsCheck.ts';
import {
  MAX_DATA_SET_NAME_CHARS,
  validateClassNames,
  validateDataSetName,
} from '../data/uploadedData.ts';
import {
  RUN_RECORD_STATUSES,
  type DataSetInfo,
  type EpochMetrics,
  type KernelChoice,
  type RunRecordStatus,
  type SeriesPoint,
} from '../common/types.ts';
import { distinguishingSettings, runLabels } from './compare.ts';
import {
  RUN_RECORD_VERSION,
  type LearningRateChange,
  type RunOrigin,
  type RunRecord,
} from './runRecord.ts';

/**
 * Runs to and from files: a versioned JSON envelope that round-trips, and a CSV of per-epoch
 * metrics for spreadsheets and notebooks. Import treats the file as hostile: it never throws,
 * checks every field against the same rules the app uses, bounds every size, and builds each
 * record field by field so nothing it does not know about (or __proto__) gets in.
 *
 * Non-finite numbers: JSON has no NaN or Infinity, and JSON.stringify writes them as null. A
 * diverged run's losses are exactly such numbers, so the metric values (batch-loss y, the four
 * losses and accuracies and images per second of an epoch) may be null in a file and are read
 * back as NaN. Infinity therefore comes back as NaN; both mean "not a number to plot". Every
 * other number (positions, times, counts, settings) must be finite.
 */

export const RUNS_EXPORT_FORMAT = 'alexnet-playground-runs';
export const RUNS_EXPORT_VERSION = 1;

/** SI megabytes, like the rest of the app: 20 MB = 20 × 10⁶ bytes. */
export const MAX_IMPORT_BYTES = 20_000_000;
export const MAX_IMPORT_RUNS = 1000;
/** Records keep a decimated series of a few thousand points; this leaves ample room. */
export const MAX_BATCH_LOSS_POINTS = 20_000;
/** The largest allowed Epochs setting. */
export const MAX_EPOCH_METRICS = 1000;
export const MAX_LEARNING_RATE_CHANGES = 1000;
export const MAX_ID_CHARS = 200;
export const MAX_NAME_CHARS = 200;
export const MAX_MESSAGE_CHARS = 2000;
/** A run's origin (RunOrigin): "PyTorch 2.4.1, cuda (NVIDIA H100 80GB HBM3), torchrun ×8 …". */
export const MAX_ORIGIN_DESCRIPTION_CHARS = 200;
/** torch's device types are short words: "cuda", "cpu", "mps", "xpu". */
export const MAX_ORIGIN_DEVICE_CHARS = 20;
/** Far more processes than any torchrun job has; bounds what the label can say. */
export const MAX_ORIGIN_PROCESSES = 1_000_000;
const ORIGIN_KINDS = ['pytorch'] as const satisfies readonly RunOrigin['kind'][];
/** Beyond this many, problems are counted rather than listed: one is usually enough to fix. */
const MAX_LISTED_PROBLEMS = 10;

export interface RunsExport {
  format: typeof RUNS_EXPORT_FORMAT;
  version: typeof RUNS_EXPORT_VERSION;
  /** ISO 8601. */
  exportedAt: string;
  runs: RunRecord[];
}

// ---------------------------------------------------------------------------------------------
// Export

/** Objects and arrays whose values are all primitives: one line each inside an array. */
function isFlat(value: object): boolean {
  return Object.values(value).every((v) => v === null || typeof v !== 'object');
}

/**
 * JSON with one key per line, except that the elements of an array that are flat objects (the
 * batch-loss points, the epoch metrics) take one line each: readable, and about four times
 * smaller than JSON.stringify(…, null, 2) for a run's thousands of points.
 */
function prettyJson(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item: unknown) =>
      item !== null && typeof item === 'object' && isFlat(item)
        ? JSON.stringify(item)
        : prettyJson(item, inner),
    );
    return `[\n${items.map((item) => `${inner}${item}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** The runs as a versioned JSON file; parseRunsJson reads it back to equal records. */
export function exportRunsJson(records: readonly RunRecord[], now: Date = new Date()): string {
  const envelope: RunsExport = {
    format: RUNS_EXPORT_FORMAT,
    version: RUNS_EXPORT_VERSION,
    exportedAt: now.toISOString(),
    runs: [...records],
  };
  return `${prettyJson(envelope, '')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Import

export type ParseRunsResult = { ok: true; runs: RunRecord[] } | { ok: false; message: string };

/** Collects problems; lists the first few and counts the rest. */
class Problems {
  readonly listed: string[] = [];
  unlisted = 0;
  add(problem: string): void {
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
    else this.unlisted += 1;
  }
  get count(): number {
    return this.listed.length + this.unlisted;
  }
  message(): string {
    const more =
      this.unlisted === 0
        ? ''
        : ` And ${this.unlisted} more problem${this.unlisted === 1 ? '' : 's'}.`;
    return `This file cannot be imported. ${this.listed.join('. ')}.${more}`;
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of parsed input, never one inherited from a prototype. */
function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const SHOWN_TEXT_CHARS = 40;

/** How a wrong value is named in a message: short, and never the whole of a long string. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    const shown = value.length > SHOWN_TEXT_CHARS ? `${value.slice(0, SHOWN_TEXT_CHARS)}…` : value;
    return `the text "${shown}"`;
  }
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** UTF-8 size without allocating a copy of a possibly huge string. */
function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Null when a file of `byteCount` bytes may be imported, else why not. Callers holding a File
 * can check file.size with this before reading it into memory.
 */
export function importSizeProblem(byteCount: number): string | null {
  if (byteCount <= MAX_IMPORT_BYTES) return null;
  const limit = formatMegabytes(MAX_IMPORT_BYTES);
  // Just over the limit rounds to the limit; then the exact count says why it is refused.
  const size =
    formatMegabytes(byteCount) === limit ? `${byteCount} bytes` : formatMegabytes(byteCount);
  return `The file is ${size}; files up to ${limit} can be imported.`;
}

/** Reads fields of one object, reporting each problem with the object's place in the file. */
class FieldReader {
  constructor(
    private readonly object: JsonObject,
    /** "Run 3" or "Run 3: epochMetrics[2]". */
    private readonly where: string,
    private readonly problems: Problems,
  ) {}

  /** "Run 3: elapsedMs", "Run 3: epochMetrics[2].valLoss". */
  path(key: string): string {
    return this.where.includes(':') ? `${this.where}.${key}` : `${this.where}: ${key}`;
  }

  private fail(key: string, description: string, allowed: string): undefined {
    this.problems.add(`${this.path(key)} is ${description}; allowed: ${allowed}`);
    return undefined;
  }

  raw(key: string): unknown {
    return own(this.object, key);
  }

  finite(key: string, options: { min?: number; integer?: boolean } = {}): number | undefined {
    const value = own(this.object, key);
    const { min, integer = false } = options;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (min === undefined || value >= min) &&
      (!integer || Number.isInteger(value));
    if (ok) return value;
    const kind = integer ? 'a whole number' : 'a finite number';
    const allowed = min === undefined ? kind : `${kind} of ${min} or more`;
    return this.fail(key, describe(value), allowed);
  }

  finiteOrNull(key: string, options: { min?: number; integer?: boolean } = {}) {
    return own(this.object, key) === null ? null : this.finite(key, options);
  }

  /** A metric that may have been NaN or Infinity when exported (then null in the file). */
  metric(key: string): number | undefined {
    const value = own(this.object, key);
    if (value === null) return NaN;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    return this.fail(key, describe(value), 'a number, or null for one that was not finite');
  }

  text(key: string, maxChars: number, options: { nonEmpty?: boolean } = {}) {
    const value = own(this.object, key);
    const nonEmpty = options.nonEmpty ?? false;
    if (typeof value === 'string' && value.length <= maxChars && (!nonEmpty || value.length > 0)) {
      return value;
    }
    const description =
      typeof value === 'string' && value.length > maxChars
        ? `${value.length} characters long`
        : describe(value);
    const allowed = `${nonEmpty ? 'non-empty text' : 'text'} of at most ${maxChars} characters`;
    return this.fail(key, description, allowed);
  }

  textOrNull(key: string, maxChars: number): string | null | undefined {
    return own(this.object, key) === null ? null : this.text(key, maxChars);
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T | undefined {
    const value = own(this.object, key);
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) {
      return value as T;
    }
    return this.fail(key, describe(value), `one of ${options.join(', ')}`);
  }

  oneOfOrNull<T extends string>(key: string, options: readonly T[]): T | null | undefined {
    return own(this.object, key) === null ? null : this.oneOf(key, options);
  }

  /** An array of at most maxLength objects, each read by `read`; undefined if any is wrong. */
  list<T>(
    key: string,
    maxLength: number,
    read: (item: FieldReader) => T | undefined,
  ): T[] | undefined {
    const value = own(this.object, key);
    if (!Array.isArray(value) || value.length > maxLength) {
      const description = Array.isArray(value)
        ? `a list of ${value.length} entries`
        : describe(value);
      return this.fail(key, description, `a list of at most ${maxLength} entries`);
    }
    const before = this.problems.count;
    const items: T[] = [];
    const prefix = this.path(key);
    value.forEach((item: unknown, i) => {
      if (!isObject(item)) {
        this.problems.add(`${prefix}[${i}] is ${describe(item)}; allowed: an object`);
        return;
      }
      const parsedItem = read(new FieldReader(item, `${prefix}[${i}]`, this.problems));
      if (parsedItem !== undefined) items.push(parsedItem);
    });
    return this.problems.count === before ? items : undefined;
  }
}

/** Whether every value read is present: readers return undefined after reporting a problem. */
function allRead<T extends object>(
  fields: T,
): fields is { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.values(fields).every((v) => v !== undefined);
}

const RECORD_KERNELS = ['optimized', 'stock'] as const satisfies readonly KernelChoice[];

function readSettings(run: FieldReader, where: string, problems: Problems): Settings | undefined {
  const value = run.raw('settings');
  if (!isObject(value)) {
    problems.add(`${where}: settings is ${describe(value)}; allowed: an object of settings`);
    return undefined;
  }
  const reader = new FieldReader(value, `${where}: settings`, problems);
  const before = problems.count;
  // Field by field into a fresh object: only the keys Settings has, with the types it has.
  const settings: Partial<Record<keyof Settings, number | string>> = {};
  for (const key of NUMERIC_KEYS) settings[key] = reader.finite(key);
  for (const key of CHOICE_KEYS) settings[key] = reader.text(key, 40);
  if (problems.count !== before) return undefined;
  const result = validateSettings(settings as Settings);
  if (result.ok) return result.settings;
  const messages = Object.values(result.errors).map((m) => m.replace(/\.$/, ''));
  problems.add(`${where}: settings are invalid: ${messages.join('; ')}`);
  return undefined;
}

function readPoint(point: FieldReader): SeriesPoint | undefined {
  const fields = { x: point.finite('x'), y: point.metric('y') };
  return allRead(fields) ? fields : undefined;
}

function readEpoch(epoch: FieldReader): EpochMetrics | undefined {
  const fields = {
    epoch: epoch.finite('epoch', { min: 1, integer: true }),
    trainLoss: epoch.metric('trainLoss'),
    trainAccuracy: epoch.metric('trainAccuracy'),
    valLoss: epoch.metric('valLoss'),
    valAccuracy: epoch.metric('valAccuracy'),
    imagesPerSecond: epoch.metric('imagesPerSecond'),
    elapsedMs: epoch.finite('elapsedMs', { min: 0 }),
  };
  return allRead(fields) ? fields : undefined;
}

function readLearningRateChange(change: FieldReader): LearningRateChange | undefined {
  const fields = { x: change.finite('x'), learningRate: change.finite('learningRate') };
  return allRead(fields) ? fields : undefined;
}

function readExercise(
  run: FieldReader,
  where: string,
  problems: Problems,
): { id: string; title: string } | null | undefined {
  const value = run.raw('exercise');
  if (value === null) return null;
  if (!isObject(value)) {
    problems.add(`${where}: exercise is ${describe(value)}; allowed: null or {id, title}`);
    return undefined;
  }
  const reader = new FieldReader(value, `${where}: exercise`, problems);
  const fields = {
    id: reader.text('id', MAX_ID_CHARS),
    title: reader.text('title', MAX_NAME_CHARS),
  };
  return allRead(fields) ? fields : undefined;
}

/**
 * The data set a run trained on: null when absent (older files: Fashion-MNIST), undefined when
 * wrong. Names follow the same rules as the form's.
 */
function readDataSet(
  run: FieldReader,
  where: string,
  problems: Problems,
): DataSetInfo | null | undefined {
  const value = run.raw('dataSet');
  if (value === undefined) return null;
  const allowed = `{id, name, classNames: ten distinct names}`;
  if (!isObject(value)) {
    problems.add(`${where}: dataSet is ${describe(value)}; allowed: ${allowed}`);
    return undefined;
  }
  const reader = new FieldReader(value, `${where}: dataSet`, problems);
  const id = reader.text('id', MAX_ID_CHARS, { nonEmpty: true });
  const name = reader.text('name', MAX_DATA_SET_NAME_CHARS, { nonEmpty: true });
  const classNames = own(value, 'classNames');
  const names =
    Array.isArray(classNames) && classNames.every((n) => typeof n === 'string')
      ? validateClassNames(classNames as string[])
      : { ok: false as const, message: `classNames is ${describe(classNames)}` };
  if (!names.ok) problems.add(`${where}: dataSet: ${names.message} Allowed: ${allowed}.`);
  const checkedName = name === undefined ? undefined : validateDataSetName(name);
  if (checkedName !== undefined && !checkedName.ok) {
    problems.add(`${where}: dataSet: ${checkedName.message}`);
  }
  if (id === undefined || !names.ok || checkedName === undefined || !checkedName.ok) {
    return undefined;
  }
  return { id, name: checkedName.name, classNames: names.names };
}

/** The run's origin; null when absent (a run of this page), undefined after a problem. */
function readOrigin(
  run: FieldReader,
  where: string,
  problems: Problems,
): RunOrigin | null | undefined {
  const value = run.raw('origin');
  if (value === undefined) return null;
  const allowed = 'an object with kind, description, device and processes';
  if (!isObject(value)) {
    problems.add(`${where}: origin is ${describe(value)}; allowed: ${allowed}`);
    return undefined;
  }
  const reader = new FieldReader(value, `${where}: origin`, problems);
  const fields = {
    kind: reader.oneOf('kind', ORIGIN_KINDS),
    description: reader.text('description', MAX_ORIGIN_DESCRIPTION_CHARS, { nonEmpty: true }),
    device: reader.text('device', MAX_ORIGIN_DEVICE_CHARS, { nonEmpty: true }),
    processes: reader.finite('processes', { min: 1, integer: true }),
  } satisfies Record<keyof RunOrigin, unknown>;
  if (fields.processes !== undefined && fields.processes > MAX_ORIGIN_PROCESSES) {
    problems.add(
      `${reader.path('processes')} is ${fields.processes}; allowed: a whole number from 1 to ` +
        `${MAX_ORIGIN_PROCESSES}`,
    );
    return undefined;
  }
  return allRead(fields) ? fields : undefined;
}

function readRun(value: unknown, index: number, problems: Problems): RunRecord | undefined {
  const where = `Run ${index + 1}`;
  if (!isObject(value)) {
    problems.add(`${where} is ${describe(value)}; allowed: an object`);
    return undefined;
  }
  const run = new FieldReader(value, where, problems);
  const version = run.raw('version');
  if (version !== RUN_RECORD_VERSION) {
    problems.add(
      `${where}: version is ${describe(version)}; allowed: ${RUN_RECORD_VERSION} ` +
        `(the run format this app reads)`,
    );
  }
  const status: RunRecordStatus | undefined = run.oneOf('status', RUN_RECORD_STATUSES);
  const fields = {
    id: run.text('id', MAX_ID_CHARS, { nonEmpty: true }),
    name: run.text('name', MAX_NAME_CHARS),
    settings: readSettings(run, where, problems),
    startedAt: run.finite('startedAt', { min: 0 }),
    endedAt: run.finiteOrNull('endedAt', { min: 0 }),
    // Nothing trains an imported run: one exported mid-training was cut short there.
    status: status === 'running' ? 'interrupted' : status,
    statusMessage: run.textOrNull('statusMessage', MAX_MESSAGE_CHARS),
    backend: run.oneOfOrNull<BackendName>('backend', BACKENDS),
    adapter: run.textOrNull('adapter', MAX_MESSAGE_CHARS),
    kernels: run.oneOfOrNull<KernelChoice>('kernels', RECORD_KERNELS),
    batchesPerEpoch: run.finiteOrNull('batchesPerEpoch', { min: 0, integer: true }),
    elapsedMs: run.finite('elapsedMs', { min: 0 }),
    batchLoss: run.list('batchLoss', MAX_BATCH_LOSS_POINTS, readPoint),
    epochMetrics: run.list('epochMetrics', MAX_EPOCH_METRICS, readEpoch),
    learningRateChanges: run.list(
      'learningRateChanges',
      MAX_LEARNING_RATE_CHANGES,
      readLearningRateChange,
    ),
    // Absent in files written before the field existed.
    peakTensorBytes:
      run.raw('peakTensorBytes') === undefined
        ? null
        : run.finiteOrNull('peakTensorBytes', { min: 0 }),
    exercise: readExercise(run, where, problems),
  } satisfies Record<
    Exclude<keyof RunRecord, 'version' | 'dataSet' | 'revision' | 'origin'>,
    unknown
  >;
  const dataSet = readDataSet(run, where, problems);
  // Absent in the page's own runs.
  const origin = readOrigin(run, where, problems);
  // Absent in files written before revisions existed.
  const revision =
    run.raw('revision') === undefined ? null : run.finite('revision', { min: 0, integer: true });
  if (
    version !== RUN_RECORD_VERSION ||
    !allRead(fields) ||
    dataSet === undefined ||
    revision === undefined ||
    origin === undefined
  ) {
    return undefined;
  }
  return {
    version: RUN_RECORD_VERSION,
    ...fields,
    ...(dataSet === null ? {} : { dataSet }),
    ...(revision === null ? {} : { revision }),
    ...(origin === null ? {} : { origin }),
  };
}

/**
 * Reads a file written by exportRunsJson. Never throws: any problem (not JSON, another format
 * or version, a wrong or missing field, a value out of range, too much data, duplicate ids)
 * gives a message naming where it is and what is allowed. Runs exported while 'running' come
 * back 'interrupted'; null metrics come back NaN (see the module comment).
 */
export function parseRunsJson(text: string): ParseRunsResult {
  // A string's length never exceeds its UTF-8 size, so a string longer than the limit is
  // refused without scanning it; its length is then reported as its size (a lower bound).
  const byteCount = text.length > MAX_IMPORT_BYTES ? text.length : utf8ByteLength(text);
  const sizeProblem = importSizeProblem(byteCount);
  if (sizeProblem !== null) return { ok: false, message: sizeProblem };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `The file is not JSON: ${reason}.` };
  }
  const expected = `expected an export of runs from this app ("format": "${RUNS_EXPORT_FORMAT}")`;
  if (!isObject(parsed)) {
    return { ok: false, message: `The file holds ${describe(parsed)}; ${expected}.` };
  }
  const format = own(parsed, 'format');
  if (format !== RUNS_EXPORT_FORMAT) {
    return { ok: false, message: `The file's format is ${describe(format)}; ${expected}.` };
  }
  const version = own(parsed, 'version');
  if (version !== RUNS_EXPORT_VERSION) {
    return {
      ok: false,
      message:
        `The file's version is ${describe(version)}; this app reads version ` +
        `${RUNS_EXPORT_VERSION} of the runs export.`,
    };
  }
  const runs = own(parsed, 'runs');
  if (!Array.isArray(runs)) {
    return {
      ok: false,
      message: `The file's runs is ${describe(runs)}; allowed: a list of runs.`,
    };
  }
  if (runs.length > MAX_IMPORT_RUNS) {
    return {
      ok: false,
      message: `The file has ${runs.length} runs; at most ${MAX_IMPORT_RUNS} can be imported at once.`,
    };
  }
  const problems = new Problems();
  const records: RunRecord[] = [];
  const firstIndexOfId = new Map<string, number>();
  runs.forEach((value: unknown, index) => {
    const record = readRun(value, index, problems);
    if (record === undefined) return;
    const first = firstIndexOfId.get(record.id);
    if (first !== undefined) {
      problems.add(
        `Run ${index + 1} has the same id "${record.id}" as run ${first + 1}; ` +
          `allowed: a different id for every run in the file`,
      );
      return;
    }
    firstIndexOfId.set(record.id, index);
    records.push(record);
  });
  if (problems.count > 0) return { ok: false, message: problems.message() };
  return { ok: true, runs: records };
}

// ---------------------------------------------------------------------------------------------
// Id clashes

export interface FreshIdsResult {
  /** The imported runs in order, those whose id clashed carrying a new one. */
  runs: RunRecord[];
  /** Which ids were replaced, for telling the person. */
  renamed: { from: string; to: string }[];
}

/** Gives up rather than loop forever on a makeId that keeps returning taken ids. */
const MAX_ID_ATTEMPTS = 1000;

/**
 * Policy for importing runs whose ids already exist: keep both. A run whose id is in
 * `existingIds` (or repeats an earlier imported one) gets a fresh id from `makeId`, so saving
 * the result never overwrites a run already in the history. Inputs are not mutated.
 * Throws only if makeId returns a taken id MAX_ID_ATTEMPTS times in a row: a bug in makeId.
 */
export function assignFreshIds(
  imported: readonly RunRecord[],
  existingIds: Iterable<string>,
  makeId: () => string,
): FreshIdsResult {
  const taken = new Set(existingIds);
  const renamed: { from: string; to: string }[] = [];
  const runs = imported.map((record) => {
    if (!taken.has(record.id)) {
      taken.add(record.id);
      return record;
    }
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const id = makeId();
      if (taken.has(id)) continue;
      taken.add(id);
      renamed.push({ from: record.id, to: id });
      return { ...record, id };
    }
    throw new Error(`makeId returned a taken id ${MAX_ID_ATTEMPTS} times in a row`);
  });
  return { runs, renamed };
}

// ---------------------------------------------------------------------------------------------
// CSV

export const METRICS_CSV_COLUMNS = [
  'run_id',
  'run_label',
  'settings',
  'epoch',
  'train_loss',
  'train_accuracy',
  'val_loss',
  'val_accuracy',
  'images_per_second',
  'elapsed_s',
] as const;

/**
 * A cell of free text (ids, names, labels). A spreadsheet runs a cell that starts with = + - @
 * (or a tab, carriage return, line feed or NUL that some strip first) as a formula, so such text
 * gets a leading apostrophe, the spreadsheet convention for "this is text". Then RFC 4180 quoting.
 */
export function csvTextCell(text: string): string {
  const guarded = /^[=+\-@\t\r\n\0]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/**
 * A number as a spreadsheet reads it: negative numbers stay numeric (no guard), and NaN and
 * ±Infinity are written as such, which pandas and R read back as numbers.
 */
export function csvNumberCell(value: number): string {
  return String(value);
}

/**
 * Per-epoch metrics of every run, one row per completed epoch (a run with none has no rows),
 * with a header row and CRLF line ends as RFC 4180 asks. Labels and settings are those of
 * compare.ts among the exported runs; settings are joined with "; ".
 */
export function runsMetricsCsv(records: readonly RunRecord[]): string {
  const labels = runLabels(records);
  const settings = distinguishingSettings(records);
  const rows: string[] = [METRICS_CSV_COLUMNS.join(',')];
  records.forEach((record, i) => {
    for (const m of record.epochMetrics) {
      rows.push(
        [
          csvTextCell(record.id),
          csvTextCell(labels[i]),
          csvTextCell(settings[i].join('; ')),
          csvNumberCell(m.epoch),
          csvNumberCell(m.trainLoss),
          csvNumberCell(m.trainAccuracy),
          csvNumberCell(m.valLoss),
          csvNumberCell(m.valAccuracy),
          csvNumberCell(m.imagesPerSecond),
          // Whole milliseconds: seconds with three decimals, not 12.345000000000001.
          csvNumberCell(Math.round(m.elapsedMs) / 1000),
        ].join(','),
      );
    }
  });
  return `${rows.join('\r\n')}\r\n`;
}
