import { describe, expect, it } from 'vitest';
import { alexNetLayers, scaledCount, type ArchitectureOptions } from './architecture.ts';
import {
  computeLayerTable,
  convOutputSize,
  formatShape,
  minimumImageSize,
  vanishedMessage,
} from './layerTable.ts';

const book = alexNetLayers({ width: 1, dropout: 0.5, numClasses: 10 });

// docs/reference.md, "The book's AlexNet": every row of the book's layer_summary.
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

describe('layer table of the variants (224 px, width 1)', () => {
  const BOOK_TOTAL = 46_764_746;
  const table = (options: Partial<ArchitectureOptions>) => {
    const result = computeLayerTable(
      alexNetLayers({ width: 1, dropout: 0.5, numClasses: 10, ...options }),
      224,
    );
    if (!result.ok) throw new Error('224 px must be valid');
    return result.table;
  };
  const summary = (options: Partial<ArchitectureOptions>) =>
    table(options).rows.map((row) => [row.name, formatShape(row.outputShape), row.parameters]);

  it('is the book’s network when every variant is off', () => {
    expect(
      alexNetLayers({
        width: 1,
        dropout: 0.5,
        numClasses: 10,
        dropConv: 'none',
        batchNorm: false,
        activation: 'relu',
        lrn: false,
      }),
    ).toEqual(book);
  });

  it('without conv4 loses its 384·384·9 + 384 = 1,327,488 parameters; the rest keep their names', () => {
    expect(summary({ dropConv: 'conv4' })).toEqual(
      REFERENCE_ROWS.filter(([name]) => name !== 'conv4'),
    );
    expect(table({ dropConv: 'conv4' }).totalParameters).toBe(BOOK_TOTAL - 1_327_488);
  });

  it('without conv3, conv4 takes conv2’s 256 channels: 256·384·9 + 384 parameters', () => {
    const rows = summary({ dropConv: 'conv3' });
    expect(rows.map(([name]) => name)).not.toContain('conv3');
    expect(rows).toContainEqual(['conv4', '384×12×12', 256 * 384 * 9 + 384]);
    // conv3 (885,120) gone, conv4 smaller by 128·384·9: 1,327,488 fewer, as without conv4.
    expect(table({ dropConv: 'conv3' }).totalParameters).toBe(BOOK_TOTAL - 1_327_488);
  });

  it('without conv5, 384 channels reach the dense layers and fc1 grows to 9600 inputs', () => {
    const rows = summary({ dropConv: 'conv5' });
    expect(rows).toContainEqual(['pool3', '384×5×5', 0]);
    expect(rows).toContainEqual(['flatten', '9600', 0]);
    expect(rows).toContainEqual(['fc1', '4096', 9600 * 4096 + 4096]);
    expect(table({ dropConv: 'conv5' }).totalParameters).toBe(
      BOOK_TOTAL - 884_992 + (9600 - 6400) * 4096,
    );
  });

  it('with batch norm has a row with γ and β per channel or unit after each hidden layer', () => {
    const result = table({ batchNorm: true });
    expect(
      result.rows.map((row) => [row.name, formatShape(row.outputShape), row.parameters]),
    ).toEqual([
      ['conv1', '96×54×54', 11_712],
      ['conv1_bn', '96×54×54', 192],
      ['pool1', '96×26×26', 0],
      ['conv2', '256×26×26', 614_656],
      ['conv2_bn', '256×26×26', 512],
      ['pool2', '256×12×12', 0],
      ['conv3', '384×12×12', 885_120],
      ['conv3_bn', '384×12×12', 768],
      ['conv4', '384×12×12', 1_327_488],
      ['conv4_bn', '384×12×12', 768],
      ['conv5', '256×12×12', 884_992],
      ['conv5_bn', '256×12×12', 512],
      ['pool3', '256×5×5', 0],
      ['flatten', '6400', 0],
      ['fc1', '4096', 26_218_496],
      ['fc1_bn', '4096', 8192],
      ['fc2', '4096', 16_781_312],
      ['fc2_bn', '4096', 8192],
      ['output', '10', 40_970],
    ]);
    expect(result.totalParameters).toBe(BOOK_TOTAL + 2 * (96 + 256 + 384 + 384 + 256 + 2 * 4096));
    const described = Object.fromEntries(result.rows.map((row) => [row.name, row.description]));
    // BN sits between the layer and its activation; dropout follows the activation.
    expect(described.conv1).toBe('Conv2d 96, 11×11, stride 4, pad 1');
    expect(described.conv1_bn).toBe('BatchNorm2d · ReLU');
    expect(described.fc1).toBe('Linear 4096');
    expect(described.fc1_bn).toBe('BatchNorm1d · ReLU · Dropout 0.5');
    expect(described.output).toBe('Linear 10');
    // One multiply-add per element (the folded scale and shift).
    expect(result.rows[1]?.multiplyAddsPerImage).toBe(96 * 54 * 54);
  });

  it('with LRN normalizes after conv1 and conv2, before their pools, without parameters', () => {
    const result = table({ lrn: true });
    expect(result.rows.map((row) => row.name)).toEqual([
      'conv1',
      'lrn1',
      'pool1',
      'conv2',
      'lrn2',
      'pool2',
      'conv3',
      'conv4',
      'conv5',
      'pool3',
      'flatten',
      'fc1',
      'fc2',
      'output',
    ]);
    expect(result.totalParameters).toBe(BOOK_TOTAL);
    const lrn1 = result.rows[1]!;
    expect([formatShape(lrn1.outputShape), lrn1.parameters]).toEqual(['96×54×54', 0]);
    expect(formatShape(result.rows[4]!.outputShape)).toBe('256×26×26');
    expect(lrn1.description).toBe('LocalResponseNorm 5, α 1e-4, β 0.75, k 2 (PyTorch alpha 5e-4)');
    // The window's five multiply-adds per element.
    expect(lrn1.multiplyAddsPerImage).toBe(5 * 96 * 54 * 54);
  });

  it('with sigmoid names it on every hidden layer and nowhere else', () => {
    const result = table({ activation: 'sigmoid' });
    expect(result.totalParameters).toBe(BOOK_TOTAL);
    const described = result.rows.map((row) => row.description);
    expect(described.filter((text) => text.includes('Sigmoid'))).toHaveLength(7);
    expect(described.some((text) => text.includes('ReLU'))).toBe(false);
    expect(described.at(-1)).toBe('Linear 10');
    const withBatchNorm = table({ activation: 'sigmoid', batchNorm: true }).rows;
    expect(withBatchNorm.find((row) => row.name === 'conv2_bn')?.description).toBe(
      'BatchNorm2d · Sigmoid',
    );
  });

  it('still needs 65 px in every variant: none of them changes a spatial size', () => {
    const variants: Partial<ArchitectureOptions>[] = [
      { dropConv: 'conv3' },
      { dropConv: 'conv4' },
      { dropConv: 'conv5' },
      { batchNorm: true },
      { lrn: true },
      { activation: 'sigmoid' },
      { dropConv: 'conv4', batchNorm: true, lrn: true, activation: 'sigmoid' },
    ];
    for (const options of variants) {
      const layers = alexNetLayers({ width: 1, dropout: 0.5, numClasses: 10, ...options });
      expect(minimumImageSize(layers), JSON.stringify(options)).toBe(65);
      const small = computeLayerTable(layers, 64);
      expect(small.ok ? null : small.vanished.layerName).toBe('pool3');
    }
  });
});
