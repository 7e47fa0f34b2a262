/**
 * Readers for the IDX format of (Fashion-)MNIST, with validation that says exactly what is wrong.
 *
 * Pure code: no DOM, no tfjs. It runs in a browser Web Worker and in Node 20 alike (both have
 * DecompressionStream and DataView).
 *
 * IDX layout: a big-endian header of int32 words — the magic number (0x00 0x00 type dims, type
 * 0x08 = unsigned byte), then one size per dimension — followed by the data in row-major order.
 */

/** A data file is unusable. The message is `${fileName}: ${problem}`. */
export class DataFileError extends Error {
  readonly fileName: string;
  /** The problem alone, without the file name, for callers that add their own context. */
  readonly problem: string;

  constructor(fileName: string, problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = 'DataFileError';
    this.fileName = fileName;
    this.problem = problem;
  }
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, image after image, each row-major. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  /** count bytes, one class id per example. */
  labels: Uint8Array;
}

export const IDX_IMAGES_MAGIC = 2051; // 0x00000803: unsigned bytes, 3 dimensions
export const IDX_LABELS_MAGIC = 2049; // 0x00000801: unsigned bytes, 1 dimension
const IMAGES_HEADER_BYTES = 16;
const LABELS_HEADER_BYTES = 8;
const MAX_SIDE = 1024;

/** True when the bytes start with the gzip magic 1f 8b (the file name is deliberately ignored). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses gzip data (detected by its magic bytes), or returns the input unchanged when it is
 * not gzip: a dev server that adds `Content-Encoding: gzip` makes fetch hand over the already
 * decompressed bytes of a `.gz` file. A corrupt or truncated gzip stream, or one that grows past
 * `maxBytes`, throws DataFileError.
 */
export async function gunzipIfNeeded(
  bytes: Uint8Array,
  fileName: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const decompressor = new DecompressionStream('gzip');
    const writer = decompressor.writable.getWriter();
    // The write/close promises reject too when the stream errors; the reader below reports that
    // error, so these are only silenced, not ignored.
    writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
    writer.close().catch(() => {});
    const reader = decompressor.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new TooLargeError();
      }
    }
  } catch (error) {
    if (error instanceof TooLargeError) {
      throw new DataFileError(
        fileName,
        `decompresses to more than ${Math.round(maxBytes / (1024 * 1024))} MB; ` +
          'expected an IDX file of at most that size',
      );
    }
    throw new DataFileError(
      fileName,
      `starts like gzip data (bytes 1f 8b) but could not be decompressed (${errorText(error)}); ` +
        'the file is probably truncated or corrupt — expected a complete gzip file',
    );
  }
  return concatChunks(chunks, total);
}

/** Parses a decompressed IDX image file (magic 2051): returns count×rows×cols pixel bytes. */
export function parseIdxImages(bytes: Uint8Array, fileName: string): IdxImages {
  const header = readHeader(bytes, fileName, IDX_IMAGES_MAGIC, IMAGES_HEADER_BYTES, 'image');
  const count = header.getInt32(4, false);
  const rows = header.getInt32(8, false);
  const cols = header.getInt32(12, false);
  checkCount(count, fileName, 'images');
  for (const [what, value] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (value < 1 || value > MAX_SIDE) {
      throw new DataFileError(
        fileName,
        `header says ${value} ${what} per image; expected between 1 and ${MAX_SIDE}`,
      );
    }
  }
  const pixels = body(bytes, fileName, IMAGES_HEADER_BYTES, count * rows * cols, () => {
    return `${count} images × ${rows} × ${cols} pixels`;
  });
  return { count, rows, cols, pixels };
}

/**
 * Parses a decompressed IDX label file (magic 2049): returns `count` class ids, each checked to be
 * below `numClasses`.
 */
export function parseIdxLabels(bytes: Uint8Array, fileName: string, numClasses = 10): IdxLabels {
  const header = readHeader(bytes, fileName, IDX_LABELS_MAGIC, LABELS_HEADER_BYTES, 'label');
  const count = header.getInt32(4, false);
  checkCount(count, fileName, 'labels');
  const labels = body(bytes, fileName, LABELS_HEADER_BYTES, count, () => `${count} labels`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataFileError(
        fileName,
        `label ${i} is ${labels[i]}; expected a class id from 0 to ${numClasses - 1}`,
      );
    }
  }
  return { count, labels };
}

function readHeader(
  bytes: Uint8Array,
  fileName: string,
  magic: number,
  headerBytes: number,
  kind: 'image' | 'label',
): DataView {
  if (isGzip(bytes)) {
    throw new DataFileError(
      fileName,
      'is still gzip-compressed (starts with 1f 8b); decompress it before parsing the IDX data',
    );
  }
  if (looksLikeText(bytes)) {
    throw new DataFileError(
      fileName,
      `starts with text ${JSON.stringify(textStart(bytes))} (an HTML page or error message?); ` +
        `expected a binary IDX ${kind} file`,
    );
  }
  // The magic number first: "this is a label file" explains more than "header too short".
  if (bytes.length >= 4) {
    const found = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, false);
    if (found !== magic) {
      const other =
        found === IDX_IMAGES_MAGIC
          ? ' (that is an image file)'
          : found === IDX_LABELS_MAGIC
            ? ' (that is a label file)'
            : '';
      throw new DataFileError(
        fileName,
        `wrong magic number ${found} (0x${hex32(found)})${other}; expected ${magic} ` +
          `(0x${hex32(magic)}) for an IDX ${kind} file`,
      );
    }
  }
  if (bytes.length < headerBytes) {
    throw new DataFileError(
      fileName,
      `has only ${bytes.length} bytes; an IDX ${kind} file needs a ${headerBytes}-byte header ` +
        '(truncated header)',
    );
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  return header;
}

function checkCount(count: number, fileName: string, what: string): void {
  if (count < 1) {
    throw new DataFileError(fileName, `header says ${count} ${what}; expected at least 1`);
  }
}

/** The data after the header, checked to have exactly `dataBytes` bytes. */
function body(
  bytes: Uint8Array,
  fileName: string,
  headerBytes: number,
  dataBytes: number,
  describe: () => string,
): Uint8Array {
  const expected = headerBytes + dataBytes;
  if (bytes.length < expected) {
    throw new DataFileError(
      fileName,
      `truncated: has ${bytes.length} bytes but the header announces ${describe()}, ` +
        `which needs ${expected} bytes (${expected - bytes.length} missing)`,
    );
  }
  if (bytes.length > expected) {
    throw new DataFileError(
      fileName,
      `has ${bytes.length - expected} trailing bytes: ${bytes.length} bytes but the header ` +
        `announces ${describe()}, which needs exactly ${expected} bytes`,
    );
  }
  const data = bytes.subarray(headerBytes);
  // A view shares its buffer; copy when that buffer is much larger than the data so a caller's
  // big unrelated buffer is not kept alive by the dataset.
  return bytes.buffer.byteLength > dataBytes + 65536 ? data.slice() : data;
}

/** Internal: the decompressed size passed the caller's limit. */
class TooLargeError extends Error {}

function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteOffset === 0) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** IDX files start with two zero bytes; HTML pages and error messages start with printable text. */
function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (!(b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) return false;
  }
  return true;
}

function textStart(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < Math.min(bytes.length, 24); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
