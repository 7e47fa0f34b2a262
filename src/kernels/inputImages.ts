import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GreyImagesProgram } from './programs.ts';

/**
 * The input pipeline's device kernel: a batch of grey images goes to the GPU as its bytes
 * (packed four to an int32 word: a quarter of the int32-per-pixel upload) and one WGSL pass
 * unpacks, scales to 0..1 and resizes (GreyImagesProgram). It is registered for 'webgpu' with
 * our other kernels (register.ts, 'optimized' only); elsewhere prepareImages keeps tfjs ops.
 *
 * Only a type is imported from the WebGPU backend, so this module loads in Node too.
 */

/** A custom kernel name: tfjs has no such op, so no other backend registers it. */
export const GREY_IMAGES_KERNEL = 'PlaygroundGreyImages';

interface GreyImagesAttrs {
  batch: number;
  sourceSize: number;
  imageSize: number;
}

/** How many batches our program has prepared (the self-test checks that it, not tfjs, ran). */
export const greyImagesStats = { ours: 0 };

/** Flat indices of the program stay well inside i32 below this many output elements. */
const MAX_OUTPUT_ELEMENTS = 2 ** 30;

/**
 * The bytes as little-endian 32-bit words, zero-padded to a multiple of 4 bytes: a view (no copy)
 * when they are aligned, as a batch of 28×28 images (784 bytes each) is.
 */
export function packBytes(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) {
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return new Int32Array(padded.buffer);
}

function greyImages(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { packed } = args.inputs;
  const { batch, sourceSize, imageSize } = args.attrs as unknown as GreyImagesAttrs;
  if (packed == null || packed.dtype !== 'int32') {
    throw new Error(`${GREY_IMAGES_KERNEL} takes the packed bytes as one int32 tensor`);
  }
  const backend = args.backend as WebGPUBackend;
  greyImagesStats.ours++;
  return backend.runWebGPUProgram(
    new GreyImagesProgram(batch, sourceSize, imageSize),
    [packed],
    'float32',
  );
}

export const GREY_IMAGES_CONFIG: tf.KernelConfig = {
  kernelName: GREY_IMAGES_KERNEL,
  backendName: 'webgpu',
  kernelFunc: greyImages,
};

/**
 * The network's input made on the device by our kernel, or null where it does not run (another
 * backend, stock kernels, a batch too large for its i32 indexing): the caller then uses tfjs ops.
 *
 * pixels: batch*sourceSize*sourceSize grey levels 0..255. Returns [batch, imageSize,
 * imageSize, 1] float32 (pixels / 255, resized bilinearly with half-pixel centres), owned by the
 * caller (or by the enclosing tidy).
 */
export function greyImagesOnDevice(
  pixels: Uint8Array,
  batch: number,
  sourceSize: number,
  imageSize: number,
): tf.Tensor4D | null {
  if (tf.getKernel(GREY_IMAGES_KERNEL, tf.getBackend()) == null) return null;
  if (batch * imageSize * imageSize >= MAX_OUTPUT_ELEMENTS || batch < 1) return null;
  if (pixels.length !== batch * sourceSize * sourceSize) {
    throw new RangeError(
      `${pixels.length} bytes are not ${batch} images of ${sourceSize}×${sourceSize} pixels`,
    );
  }
  return tf.tidy(() => {
    const words = packBytes(pixels);
    const packed = tf.tensor1d(words, 'int32');
    const attrs: GreyImagesAttrs = { batch, sourceSize, imageSize };
    return tf
      .engine()
      .runKernel(
        GREY_IMAGES_KERNEL,
        { packed },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor4D;
  });
}
