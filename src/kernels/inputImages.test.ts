import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareImages } from '../model/training.ts';
import { greyImagesOnDevice, packBytes } from './inputImages.ts';

describe('packBytes', () => {
  it('views aligned bytes as little-endian words without copying', () => {
    const bytes = Uint8Array.from({ length: 784 * 3 }, (_, i) => i % 256);
    const words = packBytes(bytes);
    expect(words.length).toBe((784 * 3) / 4);
    expect(words.buffer).toBe(bytes.buffer);
    // Byte k of word w is byte 4w + k (WebGPU buffers are little-endian, as is this view).
    const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
    expect(view.getUint32(0, true)).toBe(0x03020100);
  });

  it('pads a byte count that is not a multiple of 4 with zeros', () => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
    const words = packBytes(bytes);
    expect(words.length).toBe(2);
    expect(Array.from(new Uint8Array(words.buffer))).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
  });

  it('copies bytes that start off a word boundary', () => {
    const bytes = Uint8Array.from([9, 1, 2, 3, 4]).subarray(1);
    const words = packBytes(bytes);
    expect(words.buffer).not.toBe(bytes.buffer);
    expect(Array.from(new Uint8Array(words.buffer))).toEqual([1, 2, 3, 4]);
  });
});

describe('greyImagesOnDevice', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is not used off WebGPU: prepareImages keeps the tfjs ops there', () => {
    const pixels = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 37) % 256);
    expect(greyImagesOnDevice(pixels, 2, 28, 65)).toBeNull();
    const before = tf.memory().numTensors;
    const images = prepareImages(pixels, 2, 28, 65);
    expect(images.shape).toEqual([2, 65, 65, 1]);
    images.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
