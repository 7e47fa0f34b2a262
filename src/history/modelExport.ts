import type { ExportedModel } from '../common/types.ts';
import { dataSetOf, type RunRecord } from './runRecord.ts';

/**
 * A run's trained model as files in TF.js's Layers format: a model.json (Keras-style topology,
 * weights manifest, and this run's settings and metrics as user-defined metadata) beside one
 * binary weights file. `tf.loadLayersModel` reads them, and so does tensorflowjs_converter
 * (`--input_format=tfjs_layers_model --output_format=keras`) unless the model has LRN layers,
 * a custom layer (src/model/lrn.ts) that Keras does not know.
 */

export const MODEL_METADATA_FORMAT = 'alexnet-playground-model';

export interface ModelFiles {
  jsonName: string;
  json: string;
  weightsName: string;
  weights: ArrayBuffer;
}

export function modelFileNames(record: RunRecord): { jsonName: string; weightsName: string } {
  const base = `alexnet-${record.id}`;
  return { jsonName: `${base}.json`, weightsName: `${base}.weights.bin` };
}

/** `epochs`: how many epochs the model was trained (its metrics are the record's up to there). */
export function modelFiles(record: RunRecord, model: ExportedModel, epochs: number): ModelFiles {
  const { jsonName, weightsName } = modelFileNames(record);
  const { settings } = record;
  const dataSet = dataSetOf(record);
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'alexnet-playground (TensorFlow.js 4.22 Layers)',
    convertedBy: null,
    modelTopology: model.modelTopology,
    weightsManifest: [{ paths: [weightsName], weights: model.weightSpecs }],
    userDefinedMetadata: {
      [MODEL_METADATA_FORMAT]: {
        runId: record.id,
        name: record.name,
        epochs,
        input: {
          shape: [null, settings.imageSize, settings.imageSize, 1],
          description:
            `${dataSet.name} square grey images resized (bilinear) to the image size, pixels ` +
            'scaled to 0..1, layout NHWC',
        },
        output: 'logits over the classes (softmax is part of the loss)',
        dataSet: dataSet.name,
        classes: dataSet.classNames,
        settings,
        backend: record.backend,
        adapter: record.adapter,
        epochMetrics: record.epochMetrics.filter((metrics) => metrics.epoch <= epochs),
        learningRateChanges: record.learningRateChanges.filter((change) => change.x < epochs),
      },
    },
  };
  return {
    jsonName,
    json: `${JSON.stringify(modelJson, null, 1)}\n`,
    weightsName,
    weights: model.weightData,
  };
}
