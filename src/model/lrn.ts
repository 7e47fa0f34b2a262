import * as tf from '@tensorflow/tfjs';
import type { LrnParameters } from './architecture.ts';

/**
 * Local response normalization (Krizhevsky et al. 2012, §3.3) for NHWC tensors, as a tfjs
 * layer. Paper's (and TF's) convention: alpha multiplies the plain sum of squares,
 *
 *   y = x · s^(−β),  s = k + α · Σ_{|j−c| ≤ (n−1)/2} x_j²   (zeros beyond the channel edges),
 *
 * whereas PyTorch's nn.LocalResponseNorm divides alpha by n.
 *
 * Why not tf.localResponseNormalization: tfjs-backend-webgpu 4.22 does register LRN and
 * LRNGrad, but its LRNGrad shader walks all C channels, and each one's window, for every
 * element: O(C²) loop steps and about 20·C memory reads per element (some 5,000 for conv2's 256
 * channels), far more work than the convolution it follows. Here the forward pass and the gradient are built from Pad, Slice, AddN, Square, Pow,
 * Mul, Div and Sub, which every backend has and which cost O(n) per element, so LRN trains on
 * WebGPU, WebGL and the CPU alike. A custom gradient keeps only x, s and y for the backward pass
 * (automatic differentiation would hold the padded tensor and every shifted slice as well).
 */

const MAX_ADDN_INPUTS = 7;

/**
 * Sum over a window of `size` adjacent channels centred on each channel (zero-padded at both
 * ends). x: [batch, height, width, channels]; returns the same shape. `size` must be odd.
 */
export function channelWindowSum(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const half = (size - 1) / 2;
    const channels = x.shape[3];
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [0, 0],
      [half, half],
    ]);
    const shifted: tf.Tensor4D[] = [];
    for (let offset = 0; offset < size; offset++) {
      shifted.push(tf.slice(padded, [0, 0, 0, offset], [-1, -1, -1, channels]));
    }
    // One AddN pass binds every input plus the output; WebGPU shaders get 8 storage buffers,
    // enough for the paper's 5. Wider windows are added a slice at a time.
    if (shifted.length <= MAX_ADDN_INPUTS) return tf.addN(shifted);
    return shifted.reduce((sum, slice) => tf.add(sum, slice));
  });
}

/**
 * LRN of x: [batch, height, width, channels] across channels; returns the same shape.
 * Differentiable (custom gradient, see the file comment).
 */
export function localResponseNorm(x: tf.Tensor4D, params: LrnParameters): tf.Tensor4D {
  const { size, alpha, beta, k } = params;
  if (size < 1 || size % 2 !== 1) throw new RangeError(`LRN size must be odd, got ${size}`);
  const op = tf.customGrad((input, save) => {
    const xIn = input as tf.Tensor4D;
    const scale = tf.add(k, tf.mul(alpha, channelWindowSum(tf.square(xIn), size)));
    const y = tf.mul(xIn, tf.pow(scale, -beta)) as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xIn, scale, y]);
    return {
      value: y,
      // ∂L/∂x_c = dy_c · s_c^(−β) − 2αβ · x_c · Σ_{window(c)} dy_j · y_j / s_j
      // (the window is symmetric, so "j's window contains c" is "c's window contains j").
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xSaved, sSaved, ySaved] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const direct = tf.mul(dy, tf.pow(sSaved, -beta));
        const through = channelWindowSum(tf.div(tf.mul(dy, ySaved), sSaved) as tf.Tensor4D, size);
        return tf.sub(direct, tf.mul(2 * alpha * beta, tf.mul(xSaved, through)));
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface LocalResponseNormalizationArgs extends LayerArgs, LrnParameters {}

/** tfjs layer wrapping localResponseNorm; serializable (registered below) for saving models. */
export class LocalResponseNormalization extends tf.layers.Layer {
  static readonly className = 'LocalResponseNormalization';
  readonly params: LrnParameters;

  constructor(args: LocalResponseNormalizationArgs) {
    super(args);
    this.params = { size: args.size, alpha: args.alpha, beta: args.beta, k: args.k };
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined || x.rank !== 4) {
      throw new Error('LocalResponseNormalization expects one [batch, H, W, C] tensor');
    }
    return localResponseNorm(x as tf.Tensor4D, this.params);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.params };
  }
}

tf.serialization.registerClass(LocalResponseNormalization);
