import * as tf from '@tensorflow/tfjs';

/**
 * "A variant that cannot train says so before the run starts, not midway": one trial training
 * step, without the update, on the backend in use. A kernel the backend lacks throws at the first
 * op that needs it (tfjs: "Kernel 'X' not registered for backend 'webgpu'"); a shader WebGPU
 * rejects raises a validation error. Both surface here, before any data is loaded.
 */

export interface PreflightProblem {
  /** The step's out-of-memory error scope caught an error: a smaller batch may fit. */
  outOfMemory: boolean;
  /** "This variant cannot train on webgpu: <what tfjs or the GPU said>". */
  message: string;
}

/** Error scopes on the WebGPU device, when the backend has one (duck-typed: no backend import). */
function gpuDevice(): GPUDevice | undefined {
  return (tf.backend() as unknown as { device?: GPUDevice }).device;
}

/**
 * TF.js's WebGPU backend keeps the buffers of disposed tensors for reuse. After an out-of-memory
 * error that pool holds the failed step's buffers (some of them invalid, never allocated): a
 * retry at a smaller batch would be judged with that memory still taken, and a later op reusing
 * an invalid buffer would compute garbage. This destroys the pooled (unused) buffers; buffers of
 * live tensors stay. Duck-typed on TF.js 4.22's BufferManager; a no-op on other backends.
 */
export function freePooledGpuBuffers(): void {
  const manager = (
    tf.backend() as unknown as {
      bufferManager?: {
        freeBuffers?: Map<string, GPUBuffer[]>;
        numFreeBuffers: number;
        numBytesAllocated: number;
      };
    }
  ).bufferManager;
  if (!(manager?.freeBuffers instanceof Map)) return;
  // The map keeps its keys: the manager stops pooling altogether when it is empty.
  for (const buffers of manager.freeBuffers.values()) {
    for (const buffer of buffers.splice(0)) {
      manager.numBytesAllocated -= buffer.size;
      manager.numFreeBuffers--;
      buffer.destroy();
    }
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The trial step without its readback: a forward pass in training mode on `batchSize` seeded
 * random images ([batchSize, imageSize, imageSize, inputChannels]), then the backward pass of
 * softmax cross-entropy; a scalar that is finite exactly when the loss and every gradient are.
 * Call inside tf.tidy. Batch-norm moving statistics change: the caller restores them.
 */
function trialCheckValue(
  model: tf.LayersModel,
  imageSize: number,
  numClasses: number,
  inputChannels: number,
  batchSize: number,
): tf.Scalar {
  const images = tf.randomUniform(
    [batchSize, imageSize, imageSize, inputChannels],
    0,
    1,
    'float32',
    1,
  );
  const labelValues = Array.from({ length: batchSize }, (_, i) => i % numClasses);
  const labels = tf.oneHot(tf.tensor1d(labelValues, 'int32'), numClasses);
  const loss = () => {
    const logits = model.apply(images, { training: true }) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  // Forward alone first: when a forward kernel is missing this fails before any gradient
  // tape exists. (tfjs keeps the tensors a tape saved for the backward pass if a pass
  // throws under the tape, so only a missing gradient kernel leaves a few small ones.)
  loss();
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(loss, variables);
  // One concatenation and one sum, not a sum per gradient: each gradient's shape would compile
  // its own shaders (seconds on a software GPU). WebGPU's Concat splits a long input list
  // itself; AddN would not.
  const flat = tf.concat(Object.values(grads).map((grad) => tf.reshape(grad, [-1])));
  return tf.add(value, tf.sum(tf.square(flat))) as tf.Scalar;
}

/**
 * A training-mode forward pass updates batch-norm's moving statistics (the model's
 * non-trainable weights): this keeps a copy and returns what writes it back (and frees it).
 */
function keepFrozenWeights(model: tf.LayersModel): () => void {
  const frozen = model.nonTrainableWeights;
  const values = frozen.map((weight) => tf.clone(weight.read()));
  return () =>
    values.forEach((value, index) => {
      frozen[index]?.write(value);
      value.dispose();
    });
}

/** The part of TF.js 4.22's WebGPU backend that parallel compilation uses (duck-typed). */
interface PipelineCompiler {
  pipelineCache: Record<string, unknown>;
  checkCompileCompletionAsync(): Promise<void>;
  commandEncoder?: unknown;
  endComputePassEncoder?(): void;
  submitQueue?(): void;
}

function pipelineCompiler(): PipelineCompiler | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as Partial<PipelineCompiler>;
  if (typeof backend.checkCompileCompletionAsync !== 'function') return null;
  if (typeof backend.pipelineCache !== 'object') return null;
  return backend as PipelineCompiler;
}

/**
 * Creates every pipeline the trial step (and so a training step's forward and backward pass)
 * needs, without running any: TF.js's parallel-compile mode (WEBGPU_ENGINE_COMPILE_ONLY)
 * records each program's pipeline with createComputePipelineAsync, and
 * checkCompileCompletionAsync waits for them all. Resolves to the number of new pipelines; 0
 * off WebGPU or when all existed. It never fails: a pipeline that does not compile is dropped
 * from TF.js's cache, so that the trial step compiles it again and reports the error in its
 * own error scopes. Errors here (an output buffer it could not allocate) are swallowed for the
 * same reason. Leaves the model's weights and TF.js's tensors as they were.
 */
export async function compileTrialStep(
  model: tf.LayersModel,
  imageSize: number,
  numClasses: number,
  inputChannels = 1,
  batchSize = 2,
): Promise<number> {
  const compiler = pipelineCompiler();
  if (compiler === null) return 0;
  const cache = compiler.pipelineCache;
  const before = new Set(Object.keys(cache));
  const device = gpuDevice();
  device?.pushErrorScope('out-of-memory');
  device?.pushErrorScope('validation');
  const restoreFrozen = keepFrozenWeights(model);
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    tf.tidy(() => {
      trialCheckValue(model, imageSize, numClasses, inputChannels, batchSize);
    });
  } catch {
    // The trial step meets the same problem and reports it.
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    restoreFrozen();
  }
  // Compile-only mode runs no program, but uploading the random images recorded a copy into
  // their buffer: submit it now, while that buffer lives (the trial step then empties TF.js's
  // buffer pool, and a later submit would use a destroyed buffer).
  if (compiler.commandEncoder != null) {
    compiler.endComputePassEncoder?.();
    compiler.submitQueue?.();
  }
  let compiled = Object.keys(cache).filter((key) => !before.has(key)).length;
  try {
    await compiler.checkCompileCompletionAsync();
  } catch {
    // Entries still pending would make every later program that uses them throw.
    for (const key of Object.keys(cache)) {
      if (cache[key] instanceof Promise) Reflect.deleteProperty(cache, key);
    }
    compiled = 0;
  }
  await device?.popErrorScope();
  await device?.popErrorScope();
  return compiled;
}

/**
 * Runs one forward pass in training mode and one backward pass of softmax cross-entropy on a
 * batch of `batchSize` random images ([batchSize, imageSize, imageSize, inputChannels], labels
 * 0, 1, 2, … modulo numClasses) and
 * reads back one number that depends on the loss and every gradient, without updating the
 * weights. Batch-norm moving statistics, which a training-mode forward pass updates, are
 * restored afterwards, so the model is left exactly as it was. Leaves no tensors behind.
 *
 * Resolves to null when the step works, else a problem whose message is a sentence for the
 * person: "This variant cannot train on webgpu: <what tfjs or the GPU said>". An out-of-memory
 * error says so (`outOfMemory`): the variant may train at a smaller batch (outOfMemory.ts).
 */
export async function preflightVariant(
  model: tf.LayersModel,
  imageSize: number,
  numClasses: number,
  inputChannels = 1,
  batchSize = 2,
): Promise<PreflightProblem | null> {
  const backend = tf.getBackend();
  const fail = (what: string, outOfMemory = false): PreflightProblem => ({
    outOfMemory,
    message: `This variant cannot train on ${backend}: ${what}`,
  });
  const device = gpuDevice();
  device?.pushErrorScope('out-of-memory');
  device?.pushErrorScope('validation');
  // Scopes pop in reverse order; both must be popped once, whatever happens.
  let popped = false;
  const popGpuErrors = async (): Promise<PreflightProblem | null> => {
    if (device === undefined || popped) return null;
    popped = true;
    const validation = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    // Out of memory first: a buffer that could not be allocated makes the ops that use it
    // validation errors too, and the cure is a smaller batch, not another variant.
    if (outOfMemory !== null) return fail(outOfMemory.message, true);
    return validation === null ? null : fail(validation.message);
  };
  const restoreFrozen = keepFrozenWeights(model);
  let check: tf.Scalar | null = null;
  try {
    check = tf.tidy(() => trialCheckValue(model, imageSize, numClasses, inputChannels, batchSize));
    const [value = NaN] = await check.data();
    const gpuError = await popGpuErrors();
    if (gpuError !== null) return gpuError;
    if (!Number.isFinite(value)) {
      return fail('a trial step on random images gave a non-finite loss or gradient.');
    }
    return null;
  } catch (error) {
    // A GPU error recorded before the exception explains it better than the exception.
    const gpuError = await popGpuErrors().catch(() => null);
    return gpuError ?? fail(describeError(error));
  } finally {
    check?.dispose();
    restoreFrozen();
  }
}
