/**
 * Writes IDX files, the inverse of idx.ts's readers: the tests (unit and browser) make small
 * MNIST-format files with them. Pure code.
 */

/**
 * An IDX image file (magic 2051): `count` images of rows×cols unsigned bytes, big-endian header.
 * `pixel(image, index)` gives pixel `index` (row-major) of image `image`; it defaults to black.
 */
export function encodeIdxImages(
  count: number,
  rows: number,
  cols = rows,
  pixel: (image: number, index: number) => number = () => 0,
): Uint8Array {
  const perImage = rows * cols;
  const bytes = new Uint8Array(16 + count * perImage);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 2051);
  view.setInt32(4, count);
  view.setInt32(8, rows);
  view.setInt32(12, cols);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < perImage; j++) bytes[16 + i * perImage + j] = pixel(i, j);
  }
  return bytes;
}

/** An IDX label file (magic 2049): one unsigned byte per example. */
export function encodeIdxLabels(labels: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 2049);
  view.setInt32(4, labels.length);
  bytes.set(Array.from(labels), 8);
  return bytes;
}
