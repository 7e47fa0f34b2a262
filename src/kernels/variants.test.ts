import { afterEach, describe, expect, it } from 'vitest';
import {
  candidateVariants,
  opShapeKey,
  subgroupTakes,
  opShapeOf,
  parseOpShapeKey,
  setKernelPlan,
  setVariantOverride,
  variantFor,
} from './variants.ts';
import type { ConvGeometry, MatMulGeometry } from './programs.ts';

const conv: ConvGeometry = {
  batch: 64,
  inHeight: 224,
  inWidth: 224,
  inChannels: 1,
  outHeight: 54,
  outWidth: 54,
  outChannels: 96,
  filterHeight: 11,
  filterWidth: 11,
  strideHeight: 4,
  strideWidth: 4,
  padTop: 1,
  padLeft: 1,
};

const product: MatMulGeometry = {
  batch: 4,
  batchStrideA: 35,
  batchStrideB: 0,
  m: 5,
  k: 7,
  n: 9,
  transposeA: false,
  transposeB: true,
};

afterEach(() => {
  setKernelPlan({});
  setVariantOverride(null);
});

describe('op shape keys', () => {
  it('name the op and every number of the geometry, and read back', () => {
    expect(opShapeKey('conv2d', conv)).toBe('conv2d:64,224,224,1,54,54,96,11,11,4,4,1,1');
    expect(opShapeKey('matMul', product)).toBe('matMul:4,35,0,5,7,9,0,1');
    expect(parseOpShapeKey(opShapeKey('conv2dBackpropInput', conv))).toEqual({
      op: 'conv2dBackpropInput',
      geometry: conv,
    });
    expect(parseOpShapeKey(opShapeKey('matMul', product))).toEqual({
      op: 'matMul',
      geometry: product,
    });
  });

  it('reject other text', () => {
    expect(parseOpShapeKey('conv3d:1,2')).toBeNull();
    expect(parseOpShapeKey('matMul:1,2,3')).toBeNull();
    expect(parseOpShapeKey('conv2d:1,2,3,4,5,6,7,8,9,10,11,12,x')).toBeNull();
  });

  it('label shapes for people', () => {
    expect(opShapeOf('conv2dBackpropFilter', conv).label).toBe(
      'conv dW 11×11 s4 1→96, 224×224→54×54, b64',
    );
    expect(opShapeOf('matMul', product).label).toBe('matmul 4× 5×7·7×9 tB');
  });
});

describe('the plan', () => {
  it('names a variant per key, register otherwise; the override beats it', () => {
    const key = opShapeKey('conv2d', conv);
    setKernelPlan({ [key]: 'workgroup' });
    expect(variantFor(key)).toBe('workgroup');
    expect(variantFor('other')).toBe('register');
    setVariantOverride('register');
    expect(variantFor(key)).toBe('register');
  });

  it('offers subgroup only with the feature, and only for ops it takes', () => {
    const product = (m: number, n: number) =>
      opShapeOf('matMul', {
        batch: 1,
        batchStrideA: 0,
        batchStrideB: 0,
        m,
        k: 4096,
        n,
        transposeA: false,
        transposeB: false,
      });
    // 32 × 4096 = 131,072 outputs: the most the subgroup variant takes.
    expect(candidateVariants(product(32, 4096), { subgroups: false })).toEqual([
      'register',
      'workgroup',
    ]);
    expect(candidateVariants(product(32, 4096), { subgroups: true })).toEqual([
      'register',
      'workgroup',
      'subgroup',
    ]);
    expect(candidateVariants(product(33, 4096), { subgroups: true })).toEqual([
      'register',
      'workgroup',
    ]);
    // conv3 of the book at 224 px, batch 128: 7,077,888 outputs forward, 884,736 in its dW;
    // the tiny network's conv3 filter gradient: 3·3·26·38 = 8,892.
    expect(subgroupTakes('conv2d', convGeometryForTakes)).toBe(false);
    expect(subgroupTakes('conv2dBackpropFilter', convGeometryForTakes)).toBe(false);
    const tiny = { ...convGeometryForTakes, inChannels: 26, outChannels: 38 };
    expect(subgroupTakes('conv2dBackpropFilter', tiny)).toBe(true);
  });
});

/** conv3 of the book at 224 px, batch 128. */
const convGeometryForTakes: ConvGeometry = {
  batch: 128,
  inHeight: 12,
  inWidth: 12,
  inChannels: 256,
  outHeight: 12,
  outWidth: 12,
  outChannels: 384,
  filterHeight: 3,
  filterWidth: 3,
  strideHeight: 1,
  strideWidth: 1,
  padTop: 1,
  padLeft: 1,
};
