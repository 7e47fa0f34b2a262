import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram } from './programs.ts';

/**
 * The bias's two ops in a training step, Add (x + bias, broadcast over every row) and Sum
 * (the bias gradient: dy summed over every axis but the channels), as kernel functions for the
 * 'webgpu' backend. Under a gradient tape TF.js does not fuse the bias into the convolution or
 * matmul, so each layer runs both. The stock kernels index a broadcast through per-element
 * coordinate arithmetic and reduce a leading axis with a transpose, which on SwiftShader made
 * them 150 of a 358 ms step at 65 px, width 0.1, batch 32 (tf.profile: Sum ×12 78 ms, Add ×26
 * 73 ms; docs/benchmarks.md). Everything else goes to the stock kernel.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];
type KernelResult = ReturnType<tf.KernelFunc>;

/** How many times our programs ran (the self-test checks that a case was not stock). */
export const biasKernelStats = { add: 0, sum: 0 };

/** Leading-axis sums: split the rows until about this many invocations run. */
const SUM_TARGET_THREADS = 1024;
/** Rows each invocation sums at least, so short sums are not split for nothing. */
const SUM_MIN_ROWS_PER_THREAD = 64;

const int = (n: number) => String(Math.trunc(n));
const sizeOf = tf.util.sizeFromShape;

/** FlatProgram with the `size` uniform: the bias's sums may have rank-1 outputs. */
abstract class SizedProgram extends FlatProgram {
  override size = true;
}

/** result[i] = x[i] + bias[i % channels], for x of `length` elements. */
class BiasAddProgram extends SizedProgram {
  constructor(
    outputShape: number[],
    length: number,
    private readonly channels: number,
  ) {
    // The shader bakes in the channels only; the bound is the `size` uniform.
    super(outputShape, ['x', 'bias'], length, `ours_biasAdd_${channels}`);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        result[index] = x[index] + bias[index % ${int(this.channels)}];
      }
    `;
  }
}

/**
 * x viewed as [rows, channels]: result[s * channels + c] = Σ of x[r * channels + c] over the
 * rows r of split s (splits of `rowsPerSplit` rows; the last may be shorter).
 */
class LeadingSumProgram extends SizedProgram {
  constructor(
    outputShape: number[],
    private readonly rows: number,
    private readonly channels: number,
    splits: number,
    private readonly rowsPerSplit: number,
  ) {
    super(
      outputShape,
      ['x'],
      splits * channels,
      `ours_leadingSum_${rows}_${channels}_${splits}_${rowsPerSplit}`,
    );
  }

  getUserCode(): string {
    const { rows, channels, rowsPerSplit } = this;
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = index % ${int(channels)};
        let s = index / ${int(channels)};
        let first = s * ${int(rowsPerSplit)};
        let last = min(first + ${int(rowsPerSplit)}, ${int(rows)});
        var sum = 0.0;
        for (var r = first; r < last; r++) {
          sum = sum + x[r * ${int(channels)} + c];
        }
        result[index] = sum;
      }
    `;
  }
}

/** result[c] = Σ over s of parts[s * channels + c]: the splits of a LeadingSumProgram added. */
class SplitsTotalProgram extends SizedProgram {
  constructor(
    outputShape: number[],
    private readonly splits: number,
    private readonly channels: number,
  ) {
    super(outputShape, ['parts'], channels, `ours_splitsTotal_${splits}_${channels}`);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var sum = 0.0;
        for (var s = 0; s < ${int(this.splits)}; s++) {
          sum = sum + parts[s * ${int(this.channels)} + index];
        }
        result[index] = sum;
      }
    `;
  }
}

/** The big operand and the bias of x + bias, or null when the Add is anything else. */
function biasOperands(a: tf.TensorInfo, b: tf.TensorInfo) {
  for (const [x, bias] of [
    [a, b],
    [b, a],
  ] as const) {
    const channels = x.shape[x.shape.length - 1];
    const biasIsVector = bias.shape.slice(0, -1).every((d) => d === 1);
    if (
      x.shape.length >= 2 &&
      bias.shape.length >= 1 &&
      bias.shape.length <= x.shape.length &&
      biasIsVector &&
      bias.shape[bias.shape.length - 1] === channels &&
      channels > 0 &&
      sizeOf(x.shape) > channels
    ) {
      return { x, bias, channels };
    }
  }
  return null;
}

export function makeBiasAdd(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { a, b } = args.inputs;
    if (a == null || b == null || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args);
    }
    const operands = biasOperands(a, b);
    if (operands === null) return stock(args);
    const { x, bias, channels } = operands;
    const length = sizeOf(x.shape);
    if (length >= 2 ** 31) return stock(args);
    const backend = args.backend as WebGPUBackend;
    biasKernelStats.add++;
    return backend.runWebGPUProgram(
      new BiasAddProgram([...x.shape], length, channels),
      [x, bias],
      'float32',
    );
  };
}

export function makeLeadingSum(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x == null || x.dtype !== 'float32' || x.shape.length < 2) return stock(args);
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    // Only sums over a leading run of axes [0, 1, …, k − 1] that leave some axes.
    const leading = axes.length > 0 && axes.every((value, index) => value === index);
    if (!leading || axes.length >= x.shape.length) return stock(args);
    const rows = sizeOf(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const channels = sizeOf(kept);
    if (rows <= 0 || channels <= 0 || rows * channels >= 2 ** 31) return stock(args);
    const outputShape = keepDims ? [...axes.map(() => 1), ...kept] : [...kept];
    const backend = args.backend as WebGPUBackend;
    biasKernelStats.sum++;
    // A few channels over many rows (conv1's bias: 10 × 7200) would leave most invocations
    // idle: the rows are split, and the splits summed by a second program.
    const splits = Math.max(
      1,
      Math.min(
        Math.ceil(SUM_TARGET_THREADS / channels),
        Math.floor(rows / SUM_MIN_ROWS_PER_THREAD),
      ),
    );
    const rowsPerSplit = Math.ceil(rows / splits);
    const usedSplits = Math.ceil(rows / rowsPerSplit);
    // One split writes the sum itself; more write [splits, channels] for a second program.
    const partial = backend.runWebGPUProgram(
      new LeadingSumProgram(
        usedSplits === 1 ? outputShape : [usedSplits, channels],
        rows,
        channels,
        usedSplits,
        rowsPerSplit,
      ),
      [x],
      'float32',
    );
    if (usedSplits === 1) return partial;
    const result = backend.runWebGPUProgram(
      new SplitsTotalProgram(outputShape, usedSplits, channels),
      [partial],
      'float32',
    );
    backend.disposeData(partial.dataId);
    return result;
  };
}
