import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DataFileError,
  gunzipIfNeeded,
  isGzip,
  parseIdxImages,
  parseIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './idx.ts';

const DATA_DIR = '/usr/share/datasets/fashion-mnist/';

// sha256 of the decompressed files, from docs/reference.md.
const SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readGz(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${DATA_DIR}${name}.gz`));
}

/** A synthetic IDX image file: header then count*rows*cols bytes (pixel i = i mod 256). */
function imagesIdx(count: number, rows: number, cols: number, extra = 0): Uint8Array {
  const bytes = new Uint8Array(16 + count * rows * cols + extra);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 2051);
  view.setInt32(4, count);
  view.setInt32(8, rows);
  view.setInt32(12, cols);
  for (let i = 16; i < bytes.length; i++) bytes[i] = (i - 16) % 256;
  return bytes;
}

function labelsIdx(labels: number[], declaredCount = labels.length): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 2049);
  view.setInt32(4, declaredCount);
  bytes.set(labels, 8);
  return bytes;
}

/** Asserts a DataFileError for `fileName` whose message matches every pattern. */
function expectDataFileError(run: () => unknown, fileName: string, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataFileError);
  const error = caught as DataFileError;
  expect(error.fileName).toBe(fileName);
  expect(error.message.startsWith(`${fileName}: `)).toBe(true);
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
}

async function expectAsyncDataFileError(
  promise: Promise<unknown>,
  fileName: string,
  ...patterns: RegExp[]
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataFileError);
  expect((error as DataFileError).fileName).toBe(fileName);
  for (const pattern of patterns) expect((error as DataFileError).message).toMatch(pattern);
}

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe('the genuine Fashion-MNIST files', () => {
  const raw: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    for (const name of Object.keys(SHA256)) {
      const gz = readGz(name);
      expect(isGzip(gz)).toBe(true);
      raw[name] = await gunzipIfNeeded(gz, `${name}.gz`);
    }
  });

  it('decompress to the published sha256', () => {
    for (const [name, hash] of Object.entries(SHA256)) expect(sha256(raw[name])).toBe(hash);
  });

  it('parse as 60,000 / 10,000 images of 28×28 with 6,000 / 1,000 per class', () => {
    const trainImages: IdxImages = parseIdxImages(raw['train-images-idx3-ubyte'], 'train-images');
    const testImages: IdxImages = parseIdxImages(raw['t10k-images-idx3-ubyte'], 't10k-images');
    const trainLabels: IdxLabels = parseIdxLabels(raw['train-labels-idx1-ubyte'], 'train-labels');
    const testLabels: IdxLabels = parseIdxLabels(raw['t10k-labels-idx1-ubyte'], 't10k-labels');
    expect([trainImages.count, trainImages.rows, trainImages.cols]).toEqual([60000, 28, 28]);
    expect([testImages.count, testImages.rows, testImages.cols]).toEqual([10000, 28, 28]);
    expect(trainImages.pixels.length).toBe(60000 * 28 * 28);
    expect(testImages.pixels.length).toBe(10000 * 28 * 28);
    expect(trainLabels.count).toBe(60000);
    expect(testLabels.count).toBe(10000);
    expect(classCounts(trainLabels.labels)).toEqual(new Array(10).fill(6000));
    expect(classCounts(testLabels.labels)).toEqual(new Array(10).fill(1000));
    // The pixels are the bytes after the 16-byte header.
    expect(trainImages.pixels[0]).toBe(raw['train-images-idx3-ubyte'][16]);
    expect(trainImages.pixels.at(-1)).toBe(raw['train-images-idx3-ubyte'].at(-1));
  });

  it('parse from raw (not gzipped) bytes too: gunzipIfNeeded passes them through', async () => {
    const labels = raw['t10k-labels-idx1-ubyte'];
    expect(isGzip(labels)).toBe(false);
    // A raw file that carries a .gz name (a server decompressed it on the way) still works.
    const passed = await gunzipIfNeeded(labels, 't10k-labels-idx1-ubyte.gz');
    expect(passed).toBe(labels);
    expect(parseIdxLabels(passed, 't10k-labels-idx1-ubyte.gz').count).toBe(10000);
  });
});

describe('isGzip', () => {
  it('looks at the magic bytes only', () => {
    expect(isGzip(new Uint8Array([0x1f, 0x8b, 8]))).toBe(true);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
    expect(isGzip(new Uint8Array([0, 0, 8, 3]))).toBe(false);
    expect(isGzip(new Uint8Array())).toBe(false);
  });
});

describe('gunzipIfNeeded', () => {
  const original = imagesIdx(5, 28, 28);
  const gz = new Uint8Array(gzipSync(original));

  it('round-trips gzip data', async () => {
    expect(await gunzipIfNeeded(gz, 'a.gz')).toEqual(original);
  });

  it('rejects a truncated gzip stream with DataFileError', async () => {
    await expectAsyncDataFileError(
      gunzipIfNeeded(gz.subarray(0, gz.length - 20), 'train-images-idx3-ubyte.gz'),
      'train-images-idx3-ubyte.gz',
      /could not be decompressed/,
      /truncated or corrupt/,
    );
  });

  it('rejects a corrupt gzip stream with DataFileError', async () => {
    const corrupt = gz.slice();
    for (let i = 12; i < corrupt.length - 8; i += 7) corrupt[i] ^= 0x5a;
    await expectAsyncDataFileError(
      gunzipIfNeeded(corrupt, 'x.gz'),
      'x.gz',
      /could not be decompressed/,
    );
  });

  it('stops decompressing past maxBytes (a gzip bomb) with DataFileError', async () => {
    const bomb = gzipSync(new Uint8Array(4 * 1024 * 1024));
    await expectAsyncDataFileError(
      gunzipIfNeeded(bomb, 'bomb.gz', 1024 * 1024),
      'bomb.gz',
      /decompresses to more than 1 MB/,
    );
    expect((await gunzipIfNeeded(bomb, 'bomb.gz', 4 * 1024 * 1024)).length).toBe(4 * 1024 * 1024);
  });

  it('treats a .gz-named file that is not gzip as raw, and parsing then says what it is', async () => {
    const text = new TextEncoder().encode('<!doctype html><html>…</html>');
    const passed = await gunzipIfNeeded(text, 'train-labels-idx1-ubyte.gz');
    expectDataFileError(
      () => parseIdxLabels(passed, 'train-labels-idx1-ubyte.gz'),
      'train-labels-idx1-ubyte.gz',
      /starts with text "<!doctype html>/,
      /expected a binary IDX label file/,
    );
    const binary = await gunzipIfNeeded(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'l.gz');
    expectDataFileError(
      () => parseIdxLabels(binary, 'l.gz'),
      'l.gz',
      /wrong magic number 16909060 \(0x01020304\)/,
      /expected 2049/,
    );
  });
});

describe('parseIdxImages validation', () => {
  it('accepts an exact synthetic file', () => {
    const parsed = parseIdxImages(imagesIdx(3, 4, 5), 'img');
    expect(parsed).toMatchObject({ count: 3, rows: 4, cols: 5 });
    expect(parsed.pixels.length).toBe(60);
    expect(parsed.pixels[59]).toBe(59);
  });

  it('wrong magic (a label file given as images)', () => {
    expectDataFileError(
      () => parseIdxImages(labelsIdx([1, 2, 3]), 'imgs'),
      'imgs',
      /wrong magic number 2049/,
      /that is a label file/,
      /expected 2051/,
    );
  });

  it('truncated header', () => {
    expectDataFileError(
      () => parseIdxImages(imagesIdx(1, 2, 2).subarray(0, 10), 'imgs'),
      'imgs',
      /only 10 bytes/,
      /16-byte header/,
      /truncated header/,
    );
  });

  it('truncated body, with numbers', () => {
    const file = imagesIdx(3, 28, 28);
    expectDataFileError(
      () => parseIdxImages(file.subarray(0, file.length - 100), 'imgs'),
      'imgs',
      /truncated/,
      new RegExp(`has ${file.length - 100} bytes`),
      /3 images × 28 × 28/,
      new RegExp(`needs ${file.length} bytes \\(100 missing\\)`),
    );
  });

  it('trailing bytes, with numbers', () => {
    expectDataFileError(
      () => parseIdxImages(imagesIdx(2, 28, 28, 7), 'imgs'),
      'imgs',
      /7 trailing bytes/,
      new RegExp(`exactly ${16 + 2 * 28 * 28} bytes`),
    );
  });

  it('zero or negative count', () => {
    expectDataFileError(() => parseIdxImages(imagesIdx(0, 28, 28), 'imgs'), 'imgs', /0 images/);
    const negative = imagesIdx(1, 2, 2);
    new DataView(negative.buffer).setInt32(4, -5);
    expectDataFileError(() => parseIdxImages(negative, 'imgs'), 'imgs', /-5 images/);
  });

  it('rows/cols of 0 or above 1024', () => {
    expectDataFileError(() => parseIdxImages(imagesIdx(1, 0, 28), 'imgs'), 'imgs', /0 rows/);
    const huge = imagesIdx(1, 2, 2);
    new DataView(huge.buffer).setInt32(12, 2000);
    expectDataFileError(() => parseIdxImages(huge, 'imgs'), 'imgs', /2000 cols/, /1 and 1024/);
  });

  it('still gzipped', () => {
    expectDataFileError(
      () => parseIdxImages(new Uint8Array(gzipSync(imagesIdx(1, 2, 2))), 'imgs.gz'),
      'imgs.gz',
      /still gzip-compressed/,
    );
  });

  it('copies the pixels out of a much larger unrelated buffer', () => {
    const file = imagesIdx(1, 2, 2);
    const big = new Uint8Array(1 << 20);
    big.set(file, 1000);
    const parsed = parseIdxImages(big.subarray(1000, 1000 + file.length), 'imgs');
    expect(parsed.pixels.buffer.byteLength).toBe(4);
    expect(Array.from(parsed.pixels)).toEqual([0, 1, 2, 3]);
  });
});

describe('parseIdxLabels validation', () => {
  it('accepts labels below numClasses', () => {
    expect(parseIdxLabels(labelsIdx([0, 9, 3]), 'l').labels).toEqual(new Uint8Array([0, 9, 3]));
    expect(parseIdxLabels(labelsIdx([0, 1]), 'l', 2).count).toBe(2);
  });

  it('label out of range names the first bad index and value', () => {
    expectDataFileError(
      () => parseIdxLabels(labelsIdx([1, 2, 12, 3, 200]), 'train-labels-idx1-ubyte.gz'),
      'train-labels-idx1-ubyte.gz',
      /label 2 is 12/,
      /0 to 9/,
    );
    expectDataFileError(() => parseIdxLabels(labelsIdx([0, 1, 2]), 'l', 2), 'l', /label 2 is 2/);
  });

  it('wrong magic (an image file given as labels)', () => {
    expectDataFileError(
      () => parseIdxLabels(imagesIdx(1, 1, 1), 'l'),
      'l',
      /wrong magic number 2051/,
      /that is an image file/,
    );
  });

  it('truncated header, truncated body, trailing bytes, zero count', () => {
    expectDataFileError(
      () => parseIdxLabels(labelsIdx([]).subarray(0, 5), 'l'),
      'l',
      /only 5 bytes/,
      /8-byte header/,
    );
    expectDataFileError(
      () => parseIdxLabels(labelsIdx([1, 2], 5), 'l'),
      'l',
      /truncated: has 10 bytes/,
      /5 labels/,
      /needs 13 bytes \(3 missing\)/,
    );
    expectDataFileError(
      () => parseIdxLabels(labelsIdx([1, 2, 3], 1), 'l'),
      'l',
      /2 trailing bytes/,
    );
    expectDataFileError(
      () => parseIdxLabels(labelsIdx([], 0), 'l'),
      'l',
      /0 labels; expected at least 1/,
    );
  });
});
