import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataFileError } from './idx.ts';
import { encodeIdxImages, encodeIdxLabels } from './idxWriter.ts';
import {
  loadUploadedData,
  MAX_CLASS_NAME_CHARS,
  parseUploadedData,
  UploadError,
  uploadSizeProblem,
  uploadSizesProblem,
  MAX_UPLOAD_FILE_BYTES,
  MAX_UPLOAD_TOTAL_BYTES,
  validateClassNames,
  validateDataSetName,
  type ChosenFile,
  type UploadedFile,
} from './uploadedData.ts';

const DATA_DIR = '/usr/share/datasets/fashion-mnist/';

/** count images of rows×cols: pixel j of image i = (i + j) mod 256. */
const imagesIdx = (count: number, rows: number, cols = rows) =>
  encodeIdxImages(count, rows, cols, (i, j) => (i + j) % 256);
const labelsIdx = encodeIdxLabels;

const cycle = (n: number) => Array.from({ length: n }, (_, i) => i % 10);

/** A valid small MNIST-format set: 30 training and 20 test images of 12×12. */
function smallSet(): UploadedFile[] {
  return [
    { name: 'train-images-idx3-ubyte', bytes: imagesIdx(30, 12) },
    { name: 'train-labels-idx1-ubyte.gz', bytes: gzipSync(labelsIdx(cycle(30))) },
    { name: 't10k-images-idx3-ubyte.gz', bytes: gzipSync(imagesIdx(20, 12)) },
    { name: 't10k-labels-idx1-ubyte', bytes: labelsIdx(cycle(20)) },
  ];
}

async function rejection(files: UploadedFile[]): Promise<Error> {
  try {
    await parseUploadedData(files);
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the files to be refused');
}

describe('parseUploadedData', () => {
  it('reads four MNIST-format files, gzip or raw, and tells train from test by name', async () => {
    const { summary, train, test } = await parseUploadedData(smallSet());
    expect(summary.trainCount).toBe(30);
    expect(summary.testCount).toBe(20);
    expect(summary.imageSize).toBe(12);
    expect(summary.files).toEqual({
      trainImages: 'train-images-idx3-ubyte',
      trainLabels: 'train-labels-idx1-ubyte.gz',
      testImages: 't10k-images-idx3-ubyte.gz',
      testLabels: 't10k-labels-idx1-ubyte',
    });
    expect(train.pixels.length).toBe(30 * 144);
    expect(train.pixels[144 + 5]).toBe(6); // image 1, pixel 5
    expect(Array.from(test.labels)).toEqual(cycle(20));
    expect(summary.id).toMatch(/^upload-[0-9a-f]{8}$/);
  });

  it('gives the same files the same id in any order, and different files another', async () => {
    const a = await parseUploadedData(smallSet());
    const b = await parseUploadedData([...smallSet()].reverse());
    expect(b.summary.id).toBe(a.summary.id);
    const changed = smallSet();
    changed[3] = { name: 't10k-labels-idx1-ubyte', bytes: labelsIdx(cycle(20).reverse()) };
    const c = await parseUploadedData(changed);
    expect(c.summary.id).not.toBe(a.summary.id);
  });

  it('without telling names, the larger set trains and labels pair by count', async () => {
    const files = smallSet().map((file, i) => ({ ...file, name: `part${i}.bin` }));
    const { summary } = await parseUploadedData([files[2], files[3], files[0], files[1]]);
    expect(summary.files).toEqual({
      trainImages: 'part0.bin',
      trainLabels: 'part1.bin',
      testImages: 'part2.bin',
      testLabels: 'part3.bin',
    });
  });

  it('reads the genuine Fashion-MNIST files as an upload, gzip and raw', async () => {
    const names = [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ];
    const gz = names.map((name) => new Uint8Array(readFileSync(`${DATA_DIR}${name}.gz`)));
    const files = names.map((name, i) =>
      i % 2 === 0 ? { name: `${name}.gz`, bytes: gz[i] } : { name, bytes: gunzipSync(gz[i]) },
    );
    const { summary, train, test } = await parseUploadedData(files);
    expect(summary.trainCount).toBe(60_000);
    expect(summary.testCount).toBe(10_000);
    expect(summary.imageSize).toBe(28);
    expect(train.pixels.length).toBe(60_000 * 784);
    expect(test.labels.length).toBe(10_000);
  });

  it('refuses anything but four files, saying what is needed', async () => {
    const error = await rejection(smallSet().slice(0, 3));
    expect(error).toBeInstanceOf(UploadError);
    expect(error.message).toMatch(/Choose four IDX files.*You chose 3 files/);
  });

  it('refuses two image files and two label files that are not', async () => {
    const files = smallSet();
    files[3] = { name: 'more-images', bytes: imagesIdx(20, 12) };
    const error = await rejection(files);
    expect(error.message).toMatch(
      /found 3 image files \(train-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, more-images\) and 1 label file/,
    );
  });

  it('names a file that is not IDX data, and one with colour images', async () => {
    const files = smallSet();
    files[0] = { name: 'photo.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]) };
    const error = await rejection(files);
    expect(error).toBeInstanceOf(DataFileError);
    expect(error.message).toMatch(/^photo\.png: is not an IDX image or label file: .*89 50 4e 47/);

    const colour = imagesIdx(30, 12);
    new DataView(colour.buffer).setInt32(0, 0x0804);
    files[0] = { name: 'colour-images', bytes: colour };
    expect((await rejection(files)).message).toMatch(/colour-images: .*one-channel images/);
  });

  it('refuses images that are not square', async () => {
    const files = smallSet();
    files[0] = { name: 'train-images-idx3-ubyte', bytes: imagesIdx(30, 12, 10) };
    const error = await rejection(files);
    expect(error.message).toMatch(
      /train-images-idx3-ubyte: images are 12×10 pixels; expected square/,
    );
  });

  it('refuses labels outside 0–9, naming the file and the example', async () => {
    const files = smallSet();
    const labels = cycle(30);
    labels[7] = 12;
    files[1] = { name: 'train-labels-idx1-ubyte', bytes: labelsIdx(labels) };
    const error = await rejection(files);
    expect(error.message).toMatch(
      /train-labels-idx1-ubyte: label 7 is 12; expected a class id from 0 to 9/,
    );
  });

  it('refuses labels that do not match the images in count', async () => {
    const files = smallSet();
    files[3] = { name: 't10k-labels-idx1-ubyte', bytes: labelsIdx(cycle(19)) };
    const error = await rejection(files);
    expect(error.message).toMatch(
      /t10k-labels-idx1-ubyte: has 19 labels but t10k-images-idx3-ubyte.gz has 20 images/,
    );
  });

  it('refuses train and test images of different sizes', async () => {
    const files = smallSet();
    files[2] = { name: 't10k-images-idx3-ubyte', bytes: imagesIdx(20, 14) };
    const error = await rejection(files);
    expect(error.message).toMatch(/training images are 12×12 .* test images are 14×14/);
  });

  it('refuses a truncated gzip file and a truncated IDX file', async () => {
    const files = smallSet();
    const gz = files[2].bytes;
    files[2] = { name: files[2].name, bytes: gz.subarray(0, gz.length - 20) };
    expect((await rejection(files)).message).toMatch(/t10k-images-idx3-ubyte.gz: .*corrupt/);

    const again = smallSet();
    again[0] = { name: again[0].name, bytes: again[0].bytes.subarray(0, 100) };
    expect((await rejection(again)).message).toMatch(/train-images-idx3-ubyte: truncated/);
  });

  it('refuses the same file chosen twice', async () => {
    const files = smallSet();
    files[3] = files[1];
    expect((await rejection(files)).message).toMatch(/chosen twice/);
  });
});

describe('loadUploadedData', () => {
  /** A chosen file of `size` bytes that counts how often it is read. */
  function fakeFile(name: string, size: number, reads: string[]): ChosenFile {
    return {
      name,
      size,
      arrayBuffer: () => {
        reads.push(name);
        return Promise.reject(new Error('this fake file has no bytes'));
      },
    };
  }

  it('reads the chosen File objects itself (in the worker) and parses them', async () => {
    const files = smallSet().map(({ name, bytes }) => new File([new Uint8Array(bytes)], name));
    const { summary } = await loadUploadedData(files);
    expect(summary).toMatchObject({ trainCount: 30, testCount: 20, imageSize: 12 });
  });

  it('refuses chosen files over MAX_UPLOAD_TOTAL_BYTES together, before reading any', async () => {
    const reads: string[] = [];
    const mb = 1024 * 1024;
    const files = ['a', 'b', 'c', 'd'].map((name) => fakeFile(name, 150 * mb, reads));
    const error = await loadUploadedData(files).then(
      () => new Error('expected the files to be refused'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(UploadError);
    expect(error.message).toBe(
      'The 4 files come to 600 MB together; at most 512 MB in all. Choose smaller files ' +
        '(MNIST’s four come to 55 MB uncompressed).',
    );
    expect(reads).toEqual([]);
    // One file over the per-file limit, and three files, are refused unread too.
    const big = [fakeFile('huge', 300 * mb, reads), ...files.slice(1)];
    await expect(loadUploadedData(big)).rejects.toThrow(
      'huge: is 300 MB; at most 256 MB per file.',
    );
    await expect(loadUploadedData(files.slice(1))).rejects.toThrow(/You chose 3 files/);
    expect(reads).toEqual([]);
  });

  it('says which file the browser could not read, and to choose it again', async () => {
    const reads: string[] = [];
    const files = smallSet().map(({ name, bytes }) => new File([new Uint8Array(bytes)], name));
    files[2] = fakeFile('t10k-images-idx3-ubyte.gz', 100, reads) as File;
    await expect(loadUploadedData(files)).rejects.toThrow(
      'The browser could not read t10k-images-idx3-ubyte.gz (this fake file has no bytes); ' +
        'choose it again.',
    );
  });
});

describe('uploadSizesProblem', () => {
  it('allows files up to MAX_UPLOAD_TOTAL_BYTES together and refuses more, before any is read', () => {
    const mb = 1024 * 1024;
    const quarter = MAX_UPLOAD_TOTAL_BYTES / 4;
    const sized = (...sizes: number[]) => sizes.map((size, i) => ({ name: `f${i}`, size }));
    expect(uploadSizesProblem(sized(quarter, quarter, quarter, quarter))).toBeNull();
    expect(uploadSizesProblem(sized(quarter, quarter, quarter, quarter + mb))).toMatch(
      /^The 4 files come to 513 MB together; at most 512 MB in all/,
    );
    expect(uploadSizesProblem(sized(1, 300 * mb))).toBe('f1: is 300 MB; at most 256 MB per file.');
  });
});

describe('validateClassNames', () => {
  const digits = cycle(10).map(String);

  it('accepts ten distinct names, trimmed', () => {
    const names = [...digits];
    names[3] = '  three ';
    expect(validateClassNames(names)).toEqual({
      ok: true,
      names: ['0', '1', '2', 'three', '4', '5', '6', '7', '8', '9'],
    });
  });

  it('says which name is empty, too long or repeated', () => {
    expect(validateClassNames([...digits.slice(0, 4), ' ', ...digits.slice(5)])).toEqual({
      ok: false,
      message: 'Class 4 needs a name.',
    });
    const long = [...digits];
    long[2] = 'x'.repeat(MAX_CLASS_NAME_CHARS + 1);
    expect(validateClassNames(long)).toMatchObject({ ok: false, message: /Class 2's name/ });
    const repeated = [...digits];
    repeated[8] = '1';
    expect(validateClassNames(repeated)).toEqual({
      ok: false,
      message: 'Classes 1 and 8 are both called "1"; each class needs its own name.',
    });
    expect(validateClassNames(digits.slice(1))).toMatchObject({ ok: false });
  });
});

describe('validateDataSetName', () => {
  it('trims, and refuses an empty or long name', () => {
    expect(validateDataSetName(' MNIST ')).toEqual({ ok: true, name: 'MNIST' });
    expect(validateDataSetName('  ')).toMatchObject({ ok: false });
    expect(validateDataSetName('m'.repeat(41))).toMatchObject({ ok: false });
  });
});

describe('uploadSizeProblem', () => {
  it('allows files up to the limit and names the size of a bigger one', () => {
    expect(uploadSizeProblem(MAX_UPLOAD_FILE_BYTES)).toBeNull();
    expect(uploadSizeProblem(300 * 1024 * 1024)).toBe('is 300 MB; at most 256 MB per file');
  });
});
