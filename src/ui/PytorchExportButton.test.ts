import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../config/settings.ts';
import type { PytorchOwnData } from '../model/pytorchExport.ts';
import { PytorchExportButton } from './PytorchExportButton.tsx';

const render = (settings: Parameters<typeof PytorchExportButton>[0]['settings']) =>
  renderToStaticMarkup(createElement(PytorchExportButton, { settings, runName: 'a run' }));

describe('PytorchExportButton', () => {
  it('is enabled for valid settings and names the file it downloads', () => {
    const html = render({ ...DEFAULT_SETTINGS });
    expect(html).toMatch(/^<button type="button"[^>]*>Export as PyTorch<\/button>$/);
    expect(html).not.toContain('disabled');
    expect(html).toContain('alexnet_fashion_mnist.py');
  });

  it('is disabled without settings or with settings the app would refuse', () => {
    expect(render(null)).toContain('disabled=""');
    const tooSmall = render({ ...DEFAULT_SETTINGS, imageSize: 32 });
    expect(tooSmall).toContain('disabled=""');
    expect(tooSmall).toContain('too small');
    // Valid in the app, but PyTorch's BatchNorm1d cannot train on a batch of one image.
    const batchOfOne = render({ ...DEFAULT_SETTINGS, batchNorm: 'on', batchSize: 1 });
    expect(batchOfOne).toContain('disabled=""');
    expect(batchOfOne).toContain('BatchNorm1d cannot train on batches of one image');
  });

  it('says, with own data, that the script trains on it from the four files and what to pass', () => {
    const ownData: PytorchOwnData = {
      name: 'Bars',
      classNames: Array.from({ length: 10 }, (_, i) => `bar ${i}`),
      summary: {
        id: 'upload-1',
        files: {
          trainImages: 'train-images-idx3-ubyte.gz',
          trainLabels: 'train-labels-idx1-ubyte',
          testImages: 't10k-images-idx3-ubyte.gz',
          testLabels: 't10k-labels-idx1-ubyte',
        },
        trainCount: 60,
        testCount: 20,
        imageSize: 20,
      },
    };
    const html = renderToStaticMarkup(
      createElement(PytorchExportButton, { settings: { ...DEFAULT_SETTINGS }, ownData }),
    );
    expect(html).not.toContain('disabled');
    const title = /title="([^"]*)"/.exec(html)?.[1];
    expect(title).toBe(
      'Download alexnet_own_data.py: this network and these hyperparameters in PyTorch (needs ' +
        'only torch and torchvision). It trains on Bars from your four files ' +
        '(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte, t10k-images-idx3-ubyte.gz, ' +
        't10k-labels-idx1-ubyte): run python alexnet_own_data.py DATA_DIR, where DATA_DIR is ' +
        'the directory that holds them (by default the script&#x27;s own). It runs alone or ' +
        'under torchrun, and writes a run file: Import runs shows it beside the runs here.',
    );
    // Own data whose names are invalid: disabled, with the naming problem.
    const unnamed = renderToStaticMarkup(
      createElement(PytorchExportButton, {
        settings: { ...DEFAULT_SETTINGS },
        ownDataProblem: 'Class 3 needs a name.',
      }),
    );
    expect(unnamed).toContain('disabled=""');
    expect(unnamed).toContain(
      'title="Fix the data set&#x27;s names to export: Class 3 needs a name."',
    );
  });
});
