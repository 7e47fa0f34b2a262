import { describe, expect, it } from 'vitest';
import { alexNetLayers } from '../../src/model/architecture.ts';
import { computeLayerTable } from '../../src/model/layerTable.ts';
import { convOpShapes, denseMatMuls } from './ops.ts';

function tableOf(width: number, imageSize: number) {
  const layers = alexNetLayers({ width, dropout: 0.5, numClasses: 10 });
  const table = computeLayerTable(layers, imageSize);
  if (!table.ok) throw new Error('image too small');
  return { layers, table: table.table };
}

describe('single-op shapes of a configuration', () => {
  it('are the tiny configuration’s conv shapes as the model runs them (conv1 padded)', () => {
    const { layers, table } = tableOf(0.1, 65);
    expect(convOpShapes(layers, table, 65, 32)).toEqual([
      { name: 'conv1', x: [32, 67, 67, 1], filter: [11, 11, 1, 10], stride: 4, pad: 'valid' },
      { name: 'conv2', x: [32, 7, 7, 10], filter: [5, 5, 10, 26], stride: 1, pad: 'same' },
      { name: 'conv3', x: [32, 3, 3, 26], filter: [3, 3, 26, 38], stride: 1, pad: 'same' },
      { name: 'conv4', x: [32, 3, 3, 38], filter: [3, 3, 38, 38], stride: 1, pad: 'same' },
      { name: 'conv5', x: [32, 3, 3, 38], filter: [3, 3, 38, 26], stride: 1, pad: 'same' },
    ]);
  });

  it('are the book’s dense products at 96 px, batch 16, forward and both gradients', () => {
    const { layers, table } = tableOf(1, 96);
    expect(denseMatMuls(layers, table, 16)).toEqual([
      [16, 256, 4096, false, false],
      [16, 4096, 256, false, true],
      [256, 16, 4096, true, false],
      [16, 4096, 4096, false, false],
      [16, 4096, 4096, false, true],
      [4096, 16, 4096, true, false],
      [16, 4096, 10, false, false],
      [16, 10, 4096, false, true],
      [4096, 16, 10, true, false],
    ]);
  });

  it('give conv1 of the book at 224 px its 54×54 output', () => {
    const { layers, table } = tableOf(1, 224);
    const [conv1] = convOpShapes(layers, table, 224, 8);
    expect(conv1).toEqual({
      name: 'conv1',
      x: [8, 226, 226, 1],
      filter: [11, 11, 1, 96],
      stride: 4,
      pad: 'valid',
    });
  });
});
