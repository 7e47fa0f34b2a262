import { describe, expect, it } from 'vitest';
import {
  chooseVariant,
  recordOpShapes,
  relativeMaxDiff,
  tuneWith,
  type MeasureShape,
} from './tuning.ts';
import { opShapeOf, variantForOp, type KernelPlan, type OpShape } from './variants.ts';
import type { ConvGeometry, MatMulGeometry } from './programs.ts';

const conv: ConvGeometry = {
  batch: 32,
  inHeight: 65,
  inWidth: 65,
  inChannels: 1,
  outHeight: 15,
  outWidth: 15,
  outChannels: 10,
  filterHeight: 11,
  filterWidth: 11,
  strideHeight: 4,
  strideWidth: 4,
  padTop: 0,
  padLeft: 0,
};

const product: MatMulGeometry = {
  batch: 1,
  batchStrideA: 0,
  batchStrideB: 0,
  m: 32,
  k: 26,
  n: 410,
  transposeA: false,
  transposeB: true,
};

const shapes: OpShape[] = [
  opShapeOf('conv2d', conv),
  opShapeOf('conv2dBackpropFilter', conv),
  opShapeOf('conv2dBackpropInput', conv),
  opShapeOf('matMul', product),
];

const noSubgroups = { subgroups: false };

/** A fake measurement: ms per variant per shape index, and optionally a rejected variant. */
function fakeMeasure(
  msOf: (shape: OpShape) => { register: number; workgroup: number },
  calls: string[] = [],
): MeasureShape {
  return (shape, variants) => {
    calls.push(shape.key);
    const ms = msOf(shape);
    return Promise.resolve(
      Object.fromEntries(
        variants.map((v) => [
          v,
          v === 'subgroup' ? { ok: false, reason: 'no program' } : { ok: true, ms: ms[v] },
        ]),
      ),
    );
  };
}

describe('chooseVariant', () => {
  it('keeps register unless another variant is faster by more than the margin', () => {
    expect(chooseVariant({ register: 100, workgroup: 97 })).toBe('register');
    expect(chooseVariant({ register: 100, workgroup: 94 })).toBe('workgroup');
    expect(chooseVariant({ register: 100, workgroup: 94 }, 0.1)).toBe('register');
    expect(chooseVariant({ register: 50, workgroup: 94 })).toBe('register');
  });

  it('picks the fastest without a register timing, and register with none', () => {
    expect(chooseVariant({ workgroup: 3, subgroup: 2 })).toBe('subgroup');
    expect(chooseVariant({})).toBe('register');
    expect(chooseVariant({ register: NaN, workgroup: 5 })).toBe('workgroup');
  });
});

describe('tuneWith', () => {
  it('times every shape and writes the faster variant into the plan', async () => {
    const result = await tuneWith(
      shapes,
      { features: noSubgroups },
      fakeMeasure((s) =>
        s.op === 'matMul' ? { register: 10, workgroup: 5 } : { register: 10, workgroup: 20 },
      ),
    );
    expect(result?.complete).toBe(true);
    expect(result?.plan).toEqual({
      [shapes[0].key]: 'register',
      [shapes[1].key]: 'register',
      [shapes[2].key]: 'register',
      [shapes[3].key]: 'workgroup',
    });
    expect(result?.timings.map((t) => t.label)).toEqual(shapes.map((s) => s.label));
    expect(result?.timings[3].msByVariant).toEqual({ register: 10, workgroup: 5 });
  });

  it('never chooses a rejected variant, and says why it was rejected', async () => {
    const measure: MeasureShape = () =>
      Promise.resolve({
        register: { ok: true, ms: 10 },
        workgroup: { ok: false, reason: 'differs from register by 3.00e-1' },
        subgroup: { ok: false, reason: 'the subgroup program did not run' },
      });
    const result = await tuneWith(shapes.slice(0, 1), { features: { subgroups: true } }, measure);
    expect(result?.plan[shapes[0].key]).toBe('register');
    expect(result?.timings[0].rejected).toEqual({
      workgroup: 'differs from register by 3.00e-1',
      subgroup: 'the subgroup program did not run',
    });
  });

  it('skips the shapes of a known plan and keeps their entries', async () => {
    const calls: string[] = [];
    const known: KernelPlan = { [shapes[0].key]: 'workgroup', other: 'register' };
    const result = await tuneWith(
      shapes,
      { features: noSubgroups, known },
      fakeMeasure(() => ({ register: 1, workgroup: 2 }), calls),
    );
    expect(calls).toEqual(shapes.slice(1).map((s) => s.key));
    expect(result?.plan[shapes[0].key]).toBe('workgroup');
    expect(result?.plan.other).toBe('register');
    expect(result?.timings).toHaveLength(3);
  });

  it('resolves null when stopped between shapes', async () => {
    const calls: string[] = [];
    let stop = false;
    const result = await tuneWith(
      shapes,
      {
        features: noSubgroups,
        shouldStop: () => stop,
        onProgress: ({ shapesDone }) => {
          if (shapesDone === 2) stop = true;
        },
      },
      fakeMeasure(() => ({ register: 1, workgroup: 2 }), calls),
    );
    expect(result).toBeNull();
    // The shape in progress when the stop came is finished; none after it starts.
    expect(calls).toHaveLength(3);
  });

  it('ends at the budget with complete false and the untuned shapes left out', async () => {
    let clock = 0;
    const measure: MeasureShape = (shape, variants) => {
      clock += 400;
      return fakeMeasure(() => ({ register: 1, workgroup: 2 }))(shape, variants, 1);
    };
    const result = await tuneWith(
      shapes,
      { features: noSubgroups, budgetMs: 700 },
      measure,
      () => clock,
    );
    expect(result?.complete).toBe(false);
    expect(Object.keys(result?.plan ?? {})).toEqual([shapes[0].key, shapes[1].key]);
  });

  it('reports progress before each shape and at the end', async () => {
    const progress: [number, number, string | null][] = [];
    await tuneWith(
      shapes.slice(0, 2),
      {
        features: noSubgroups,
        onProgress: ({ shapesDone, shapesTotal, current }) =>
          progress.push([shapesDone, shapesTotal, current?.key ?? null]),
      },
      fakeMeasure(() => ({ register: 1, workgroup: 2 })),
    );
    expect(progress).toEqual([
      [0, 2, shapes[0].key],
      [1, 2, shapes[1].key],
      [2, 2, null],
    ]);
  });
});

describe('recordOpShapes', () => {
  it('returns the distinct shapes our kernels saw, in order, and only while recording', () => {
    variantForOp('conv2d', conv);
    const seen = recordOpShapes(() => {
      variantForOp('matMul', product);
      variantForOp('conv2d', conv);
      variantForOp('matMul', product);
    });
    expect(seen.map((s) => s.key)).toEqual([shapes[3].key, shapes[0].key]);
    expect(recordOpShapes(() => undefined)).toEqual([]);
  });

  it('stops recording when the step throws', () => {
    expect(() =>
      recordOpShapes(() => {
        throw new Error('step failed');
      }),
    ).toThrow('step failed');
    expect(recordOpShapes(() => undefined)).toEqual([]);
  });
});

describe('relativeMaxDiff', () => {
  it('is max |Δ| over max |ref|, Infinity for NaN or another length', () => {
    expect(relativeMaxDiff([1, -2], [1, -2.002])).toBeCloseTo(1e-3);
    expect(relativeMaxDiff([1], [NaN])).toBe(Infinity);
    expect(relativeMaxDiff([1], [1, 2])).toBe(Infinity);
  });
});
