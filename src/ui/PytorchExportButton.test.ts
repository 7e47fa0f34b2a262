import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../config/settings.ts';
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
});
