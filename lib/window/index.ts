/**
 * Count, time and session windows over a stream of samples, per key or aligning separate topics
 * into rows (docs/nodes.md, "window"). {@link WindowEngine} (./engine) dispatches to one mode per
 * kind of window (./count, ./time, ./session); ./align makes rows of topics; ./options checks the
 * settings once; ./reader reads a message's sample and the layout it gives; ./buffers holds the
 * samples.
 */
export { topicFeatureName } from './align';
export { WindowEngine } from './engine';
export { formatTime, MAX_TIME_MS, parseEventTime, timeUnitHint } from './event-time';
export {
  isResolvedWindowOptions,
  resolveWindowOptions,
  WINDOW_DEFAULTS,
  WINDOW_LIMITS,
  type ResolvedWindowOptions,
  type WindowOptions,
} from './options';
export { preview, quoteText } from './text';
export type {
  DroppedKeys,
  EmitKind,
  EmittedWindow,
  GroupBy,
  IncompleteWindow,
  LateSample,
  SampleAt,
  SkippedWindows,
  TimeBasis,
  WindowKey,
  WindowMode,
  WindowOutput,
} from './types';
