import { describe, expect, it } from 'vitest';
import { alexNetLayers, scaledCount } from './architecture.ts';
import {
  computeLayerTable,
  convOutputSize,
  formatShape,
  minimumImageSize,
  vanishedMessage,
} from './layerTable.ts';

const book = alexNetLayers({ width: 1, dropout: 0.5, numClasses: 10 });

// shared/reference/README.md, "The book's AlexNet": every row of the book's layer_summary.
const REFERENCE_ROWS: [name: string, shape: string, parameters: number][] = [
  ['conv1', '96×54×54', 11_712],
  ['pool1', '96×26×26', 0],
  ['conv2', '256×26×26', 614_656],
  ['pool2', '256×12×12', 0],
  ['conv3', '384×12×12', 885_120],
  ['conv4', '384×12×12', 1_327_488],
  ['conv5', '256×12×12', 884_992],
  ['pool3', '256×5×5', 0],
  ['flatten', '6400', 0],
  ['fc1', '4096', 26_218_496],
  ['fc2', '4096', 16_781_312],
  ['output', '10', 40_970],
];

describe('layer table', () => {
  it('matches every row of the book at 224 px', () => {
    const result = computeLayerTable(book, 224);
    if (!result.ok) throw new Error('224 px must be valid');
    expect(
      result.table.rows.map((row) => [row.name, formatShape(row.outputShape), row.parameters]),
    ).toEqual(REFERENCE_ROWS);
    expect(result.table.totalParameters).toBe(46_764_746);
  });

  it('counts about 0.94 G multiply-adds per image at 224 px, conv1 alone 54·54·96·121', () => {
    const result = computeLayerTable(book, 224);
    if (!result.ok) throw new Error('224 px must be valid');
    expect(result.table.rows[0]?.multiplyAddsPerImage).toBe(54 * 54 * 96 * 121);
    expect(result.table.totalMultiplyAddsPerImage / 1e9).toBeCloseTo(0.94, 2);
  });

  it('uses PyTorch output-size arithmetic, not TF "same"', () => {
    expect(convOutputSize(224, 11, 4, 1)).toBe(54);
    expect(convOutputSize(54, 3, 2, 0)).toBe(26);
  });

  it('finds 65 px as the smallest image and names pool3 below it', () => {
    expect(minimumImageSize(book)).toBe(65);
    expect(computeLayerTable(book, 65).ok).toBe(true);
    const small = computeLayerTable(book, 64);
    if (small.ok) throw new Error('64 px must be refused');
    expect(small.vanished).toMatchObject({
      layerName: 'pool3',
      inputSize: 2,
      minimumImageSize: 65,
    });
    expect(vanishedMessage(small.vanished)).toContain('vanishes at pool3');
    const tiny = computeLayerTable(book, 8);
    if (tiny.ok) throw new Error('8 px must be refused');
    expect(tiny.vanished.layerName).toBe('conv1');
  });

  it('applies the width multiplier to channels and hidden units, never below one', () => {
    const narrow = computeLayerTable(
      alexNetLayers({ width: 0.25, dropout: 0.5, numClasses: 10 }),
      224,
    );
    if (!narrow.ok) throw new Error('valid');
    expect(narrow.table.rows.map((row) => formatShape(row.outputShape))).toEqual([
      '24×54×54',
      '24×26×26',
      '64×26×26',
      '64×12×12',
      '96×12×12',
      '96×12×12',
      '64×12×12',
      '64×5×5',
      '1600',
      '1024',
      '1024',
      '10',
    ]);
    expect(scaledCount(96, 0.001)).toBe(1);
  });
});
