/**
 * `ml-standardize`: online z-score or min-max scaling, one model per key, with the numbers of
 * scikit-learn's StandardScaler and MinMaxScaler fitted by partial_fit (docs/nodes.md).
 */
import type { Node, NodeAPI } from 'node-red';
import { shapeLike } from '../../lib/samples';
import { Standardizer, type StandardizeOptions } from '../../lib/standardize';
import {
  checkFinite,
  setupLearnerNode,
  type LearnerConfig,
  type LearnerKind,
  SHARING_CREDENTIALS,
} from '../shared/learner/learner-node';
import { booleanSetting, choiceSetting } from '../shared/settings';

interface StandardizeConfig extends LearnerConfig {
  method?: string;
  withMean?: boolean | string;
  withStd?: boolean | string;
}

/** A z-score needs a few samples before its variance means anything. */
const DEFAULT_WARMUP = 10;

export = function register(RED: NodeAPI): void {
  function StandardizeNode(this: Node, config: StandardizeConfig): void {
    RED.nodes.createNode(this, config);
    setupLearnerNode(RED, this, config, (settings, t): LearnerKind<Standardizer> => {
      const options: StandardizeOptions = Standardizer.checkOptions({
        method: choiceSetting(config.method, 'method', ['zscore', 'minmax'] as const, t),
        withMean: booleanSetting(config.withMean, 'withMean', true, t),
        withStd: booleanSetting(config.withStd, 'withStd', true, t),
        halfLife: settings.halfLife,
      });
      return {
        type: 'ml-standardize',
        defaultWarmup: () => DEFAULT_WARMUP,
        batchRows: 1,
        create: (schema) => new Standardizer(schema, options),
        load: (json) => Standardizer.load(json, options),
        misfit: () => undefined,
        merge: (a, b) => Standardizer.merge(a, b),
        transform(model, sample, msg, output) {
          const d = sample.dimension;
          const rows = sample.batch
            ? sample.rows.map((row) => model.transform(row, new Array<number>(d)))
            : [model.transform(sample.rows[0], new Array<number>(d))];
          for (const row of rows) checkFinite(row, 'a scaled value');
          output.set(msg, shapeLike(sample, rows, model.schema.features ?? []));
        },
        status: (model) => `n=${model.samplesSeen}`,
      };
    });
  }
  RED.nodes.registerType('ml-standardize', StandardizeNode, { credentials: SHARING_CREDENTIALS });
};
