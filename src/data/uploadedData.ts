/**
 * A person's own image set in place of Fashion-MNIST: four IDX files (gzip or raw) such as MNIST's,
 * for any 10-class set of one-channel square images. Which file is which is worked out from the
 * files themselves (IDX magic numbers, counts) with the names as a hint, and every check that
 * Fashion-MNIST gets applies here too, with a message that names the file.
 *
 * Pure code: no DOM, no tfjs. It runs in the Web Worker (so gunzip and parsing stay off the page's
 * main thread) and in Node tests.
 */

import type { DataSetInfo, Split } from '../common/types.ts';
import { CLASS_NAMES } from './fashionMnist.ts';
import {
  DataFileError,
  gunzipIfNeeded,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  isGzip,
  parseIdxImages,
  parseIdxLabels,
} from './idx.ts';

/** The network has ten outputs, so a data set has ten classes, ids 0–9. */
export const UPLOAD_CLASS_COUNT = CLASS_NAMES.length;
/** A file bigger than this is refused before it is read (MNIST's largest raw file is 47 MB). */
export const MAX_UPLOAD_FILE_BYTES = 256 * 1024 * 1024;
/**
 * The chosen files together may not pass this, checked before any is read: four files at the
 * per-file limit would hold a gigabyte in the worker before a single check (MNIST's four files
 * come to 55 MB uncompressed).
 */
export const MAX_UPLOAD_TOTAL_BYTES = 512 * 1024 * 1024;
/** Decompressed, a file may not grow past this (a "gzip bomb" would exhaust the worker). */
export const MAX_DECOMPRESSED_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_CLASS_NAME_CHARS = 30;
export const MAX_DATA_SET_NAME_CHARS = 40;
/** What a freshly uploaded set calls its classes until the person names them (MNIST's digits). */
export const DEFAULT_UPLOADED_CLASS_NAMES: readonly string[] = Array.from(
  { length: UPLOAD_CLASS_COUNT },
  (_, i) => String(i),
);
export const DEFAULT_UPLOADED_DATA_SET_NAME = 'Your data';

/** The id of the built-in data set; uploaded sets get `upload-<fingerprint>`. */
export const FASHION_MNIST_DATA_ID = 'fashion-mnist';

export const FASHION_MNIST_INFO: DataSetInfo = {
  id: FASHION_MNIST_DATA_ID,
  name: 'Fashion-MNIST',
  classNames: [...CLASS_NAMES],
};

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * A file as the person chose it, not yet read: a File in the browser (the page posts the File
 * itself to the worker, which reads it; see worker/protocol.ts's DataChoice).
 */
export interface ChosenFile {
  readonly name: string;
  /** In bytes, known without reading the file. */
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export const UPLOAD_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
export type UploadRole = (typeof UPLOAD_ROLES)[number];

/** What the person chose, in a form the page can show. */
export interface UploadedDataSummary {
  id: string;
  /** The file name given to each role. */
  files: Record<UploadRole, string>;
  trainCount: number;
  testCount: number;
  /** Side of the square images, in pixels. */
  imageSize: number;
}

export interface UploadedDataSet {
  summary: UploadedDataSummary;
  train: Split;
  test: Split;
}

/** The files could not be used. The message says what is wrong and what is expected. */
export class UploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadError';
  }
}

const EXPECTED_FILES =
  'Choose four IDX files (gzip or raw), as MNIST ships them: training images, training ' +
  'labels, test images and test labels.';

interface Classified {
  name: string;
  kind: 'images' | 'labels';
  raw: Uint8Array;
  /** From the IDX header. */
  count: number;
}

/**
 * Reads the person's chosen files and parses them (parseUploadedData). The number of files, each
 * file's size and their total are checked before any file is read, so a wrong or huge choice
 * costs no memory. Throws UploadError, or DataFileError naming the file.
 */
export async function loadUploadedData(files: readonly ChosenFile[]): Promise<UploadedDataSet> {
  const problem = choiceProblem(files.map((file) => file.name)) ?? uploadSizesProblem(files);
  if (problem !== null) throw new UploadError(problem);
  const read = await Promise.all(
    files.map(async (file): Promise<UploadedFile> => {
      try {
        return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
      } catch (error) {
        // A file moved, changed or deleted since it was chosen cannot be read any more.
        throw new UploadError(
          `The browser could not read ${file.name} (${errorText(error)}); choose it again.`,
        );
      }
    }),
  );
  return parseUploadedData(read);
}

/**
 * Decompresses, identifies, parses and cross-checks four IDX files: two image files (magic 2051,
 * count × rows × cols unsigned bytes, rows = cols) and two label files (magic 2049, class ids
 * 0–9). Training and test are told apart by the names ("train" / "t10k" or "test"), else by size
 * (the larger set trains). Throws UploadError, or DataFileError naming the file.
 */
export async function parseUploadedData(files: readonly UploadedFile[]): Promise<UploadedDataSet> {
  const problem =
    choiceProblem(files.map((file) => file.name)) ??
    uploadSizesProblem(files.map((file) => ({ name: file.name, size: file.bytes.length })));
  if (problem !== null) throw new UploadError(problem);
  const classified: Classified[] = [];
  for (const file of files) classified.push(await classify(file));

  const images = classified.filter((file) => file.kind === 'images');
  const labels = classified.filter((file) => file.kind === 'labels');
  if (images.length !== 2 || labels.length !== 2) {
    throw new UploadError(
      `Two image files and two label files are needed; found ${describeKind(images, 'image')} ` +
        `and ${describeKind(labels, 'label')}. ${EXPECTED_FILES}`,
    );
  }
  const [trainImages, testImages] = trainFirst(images);
  const [trainLabels, testLabels] = pairLabels(labels, trainImages, testImages);

  const train = buildSplit(trainImages, trainLabels);
  const test = buildSplit(testImages, testLabels);
  if (train.imageSize !== test.imageSize) {
    throw new UploadError(
      `The training images are ${train.imageSize}×${train.imageSize} pixels but the test images ` +
        `are ${test.imageSize}×${test.imageSize}; both sets need the same size.`,
    );
  }
  const summary: UploadedDataSummary = {
    id: `upload-${fingerprint(train, test)}`,
    files: {
      trainImages: trainImages.name,
      trainLabels: trainLabels.name,
      testImages: testImages.name,
      testLabels: testLabels.name,
    },
    trainCount: train.count,
    testCount: test.count,
    imageSize: train.imageSize,
  };
  return { summary, train, test };
}

/** Four files, no name twice; or what is wrong with the choice. */
function choiceProblem(names: readonly string[]): string | null {
  if (names.length !== UPLOAD_ROLES.length) {
    return `${EXPECTED_FILES} You chose ${plural(names.length, 'file')}.`;
  }
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  return duplicate === undefined ? null : `${duplicate} was chosen twice. ${EXPECTED_FILES}`;
}

async function classify(file: UploadedFile): Promise<Classified> {
  const raw = await gunzipIfNeeded(file.bytes, file.name, MAX_DECOMPRESSED_FILE_BYTES);
  if (raw.length < 4) {
    throw new DataFileError(
      file.name,
      `has only ${raw.length} bytes; an IDX file starts with a 4-byte magic number`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getInt32(0, false);
  if (magic === IDX_IMAGES_MAGIC || magic === IDX_LABELS_MAGIC) {
    const kind = magic === IDX_IMAGES_MAGIC ? 'images' : 'labels';
    const count = raw.length >= 8 ? view.getInt32(4, false) : 0;
    return { name: file.name, kind, raw, count };
  }
  // 0x00 0x00 0x08 0x04: unsigned bytes in 4 dimensions, e.g. count × rows × cols × channels.
  if (magic === 0x0804) {
    throw new DataFileError(
      file.name,
      'holds 4-dimensional images (colour channels?); only one-channel images are supported, ' +
        'stored as count × rows × cols (IDX magic 2051)',
    );
  }
  const start = Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new DataFileError(
    file.name,
    `is not an IDX image or label file: it starts with ${start}${isGzip(file.bytes) ? ' once decompressed' : ''}; ` +
      'expected 00 00 08 03 (images, magic 2051) or 00 00 08 01 (labels, magic 2049)',
  );
}

/** The two image files as [train, test]: by name when the names say, else the larger trains. */
function trainFirst(images: Classified[]): [Classified, Classified] {
  const [a, b] = images;
  const roleA = roleFromName(a.name);
  const roleB = roleFromName(b.name);
  if (roleA !== null && roleB !== null && roleA !== roleB) {
    return roleA === 'train' ? [a, b] : [b, a];
  }
  return a.count >= b.count ? [a, b] : [b, a];
}

/** Label files pair with image files by name when the names say, else by count. */
function pairLabels(
  labels: Classified[],
  trainImages: Classified,
  testImages: Classified,
): [Classified, Classified] {
  const [a, b] = labels;
  const roleA = roleFromName(a.name);
  const roleB = roleFromName(b.name);
  if (roleA !== null && roleB !== null && roleA !== roleB) {
    return roleA === 'train' ? [a, b] : [b, a];
  }
  if (a.count === trainImages.count && b.count === testImages.count) return [a, b];
  if (b.count === trainImages.count && a.count === testImages.count) return [b, a];
  throw new UploadError(
    `The label files do not match the image files: ${trainImages.name} has ` +
      `${plural(trainImages.count, 'image')} and ${testImages.name} has ` +
      `${plural(testImages.count, 'image')}, but ${a.name} has ${plural(a.count, 'label')} and ` +
      `${b.name} has ${plural(b.count, 'label')}. Each image file needs a label file with one ` +
      'label per image.',
  );
}

/** "train" in a name means training; "t10k" (MNIST's test files) or "test" means test. */
function roleFromName(name: string): 'train' | 'test' | null {
  const lower = name.toLowerCase();
  const train = lower.includes('train');
  const test = lower.includes('t10k') || lower.includes('test');
  if (train === test) return null;
  return train ? 'train' : 'test';
}

function buildSplit(images: Classified, labels: Classified): Split {
  const parsedImages = parseIdxImages(images.raw, images.name);
  if (parsedImages.rows !== parsedImages.cols) {
    throw new DataFileError(
      images.name,
      `images are ${parsedImages.rows}×${parsedImages.cols} pixels; expected square images ` +
        '(rows = cols), which the network resizes to its image size',
    );
  }
  const parsedLabels = parseIdxLabels(labels.raw, labels.name, UPLOAD_CLASS_COUNT);
  if (parsedLabels.count !== parsedImages.count) {
    throw new DataFileError(
      labels.name,
      `has ${plural(parsedLabels.count, 'label')} but ${images.name} has ` +
        `${plural(parsedImages.count, 'image')}; expected one label per image`,
    );
  }
  return {
    count: parsedImages.count,
    imageSize: parsedImages.rows,
    pixels: parsedImages.pixels,
    labels: parsedLabels.labels,
  };
}

/**
 * 32-bit FNV-1a over the sizes, every label and a stride of pixels, in hex: the same files give
 * the same id, so a run's record can tell whether the data in the worker is the data it trained
 * on (to resume or evaluate it). Sampling pixels keeps this to a few milliseconds for MNIST.
 */
function fingerprint(train: Split, test: Split): string {
  const PIXEL_STRIDE = 7;
  let hash = 0x811c9dc5;
  const mix = (value: number) => {
    hash ^= value & 0xff;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const split of [train, test]) {
    for (const word of [split.count, split.imageSize]) {
      for (let shift = 0; shift < 32; shift += 8) mix(word >>> shift);
    }
    for (let i = 0; i < split.labels.length; i++) mix(split.labels[i]);
    for (let i = 0; i < split.pixels.length; i += PIXEL_STRIDE) mix(split.pixels[i]);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export type NamesCheck = { ok: true; names: string[] } | { ok: false; message: string };

/**
 * The person's class names, trimmed: ten names, each 1–30 characters, no two the same
 * (the confusion matrix and predictions label by them).
 */
export function validateClassNames(names: readonly string[]): NamesCheck {
  if (names.length !== UPLOAD_CLASS_COUNT) {
    return { ok: false, message: `Give ${UPLOAD_CLASS_COUNT} class names, one per class id.` };
  }
  const trimmed = names.map((name) => name.trim());
  for (const [id, name] of trimmed.entries()) {
    if (name === '') return { ok: false, message: `Class ${id} needs a name.` };
    if (name.length > MAX_CLASS_NAME_CHARS) {
      return {
        ok: false,
        message: `Class ${id}'s name is ${name.length} characters; at most ${MAX_CLASS_NAME_CHARS}.`,
      };
    }
  }
  const firstRepeat = trimmed.findIndex((name, i) => trimmed.indexOf(name) !== i);
  if (firstRepeat >= 0) {
    const first = trimmed.indexOf(trimmed[firstRepeat]);
    return {
      ok: false,
      message: `Classes ${first} and ${firstRepeat} are both called "${trimmed[firstRepeat]}"; each class needs its own name.`,
    };
  }
  return { ok: true, names: trimmed };
}

/** The data set's name, trimmed: 1–40 characters. */
export function validateDataSetName(name: string):
  | { ok: true; name: string }
  | {
      ok: false;
      message: string;
    } {
  const trimmed = name.trim();
  if (trimmed === '') return { ok: false, message: 'The data set needs a name.' };
  if (trimmed.length > MAX_DATA_SET_NAME_CHARS) {
    return {
      ok: false,
      message: `The data set's name is ${trimmed.length} characters; at most ${MAX_DATA_SET_NAME_CHARS}.`,
    };
  }
  return { ok: true, name: trimmed };
}

/**
 * Why a file of `bytes` is refused, or null. The page checks File.size with it before reading,
 * the worker the bytes it gets; the message follows the file's name.
 */
export function uploadSizeProblem(bytes: number): string | null {
  if (bytes <= MAX_UPLOAD_FILE_BYTES) return null;
  return `is ${megabytes(bytes)}; at most ${megabytes(MAX_UPLOAD_FILE_BYTES)} per file`;
}

/**
 * Why files of these sizes are refused, or null: a file over MAX_UPLOAD_FILE_BYTES (named), or
 * more than MAX_UPLOAD_TOTAL_BYTES in all. The page checks the Files' sizes with it before
 * posting them, the worker before reading them.
 */
export function uploadSizesProblem(
  files: readonly { readonly name: string; readonly size: number }[],
): string | null {
  for (const file of files) {
    const problem = uploadSizeProblem(file.size);
    if (problem !== null) return `${file.name}: ${problem}.`;
  }
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  if (totalBytes <= MAX_UPLOAD_TOTAL_BYTES) return null;
  return (
    `The ${plural(files.length, 'file')} come to ${megabytes(totalBytes)} together; at most ` +
    `${megabytes(MAX_UPLOAD_TOTAL_BYTES)} in all. Choose smaller files (MNIST’s four come to ` +
    '55 MB uncompressed).'
  );
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeKind(files: Classified[], what: string): string {
  if (files.length === 0) return `no ${what} file`;
  return `${plural(files.length, `${what} file`)} (${files.map((f) => f.name).join(', ')})`;
}

function plural(n: number, one: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : `${one}s`}`;
}
