/**
 * Reading a node's editor settings once, in its constructor. Settings arrive as the editor saved
 * them (often strings) or not at all (node-red-node-test-helper never loads the .html, and flows
 * written by hand omit fields), so every reader has a default.
 *
 * Every reader takes the node's messages `t` last (English when not given) for its error text.
 */
import type { Node } from 'node-red';
import { isForbiddenName, type SampleNodeType } from '../../lib/samples';
import { NUMBER_SETTINGS, numberAllowed } from '../../lib/settings';
import { englishOf, sharedEnglish, type Translate } from './i18n';
import { quoteKey } from './message';

/** A setting that cannot be used; the node reports it at start and on every message. */
export class SettingError extends Error {
  override name = 'SettingError';
}

/**
 * Reports settings that cannot be used: logged and a red status at start, and every message then
 * fails with the same error, so that nothing sent to the node is lost silently.
 * @param t the node's messages (English when not given).
 */
export function reportSettingError(node: Node, err: unknown, t: Translate = englishOf(node.type)): void {
  const message = t('runtime.errors.configuration', { message: (err as Error).message });
  node.error(message);
  node.status({ fill: 'red', shape: 'ring', text: t('runtime.status.configError') });
  node.on('input', (_msg: unknown, _send: unknown, done: (err: Error) => void) => done(new Error(message)));
}

/** Whether a setting was left empty (absent, null or only spaces). */
export function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

/** The values a number setting accepts: within [min, max] (above min when `aboveMin`), whole when `integer`. */
export interface NumberLimits {
  min?: number;
  max?: number;
  aboveMin?: boolean;
  integer?: boolean;
}

/** The allowed values in words ("a whole number between 1 and 100"), as an error names them. */
export function allowedRange(
  { min = -Infinity, max = Infinity, aboveMin = false, integer = false }: NumberLimits,
  t: Translate = sharedEnglish,
): string {
  const kind = t(integer ? 'runtime.settings.aWholeNumber' : 'runtime.settings.aNumber');
  const range = aboveMin
    ? t(max === Infinity ? 'runtime.settings.above' : 'runtime.settings.aboveAtMost', { min, max })
    : max === Infinity
      ? t('runtime.settings.atLeast', { min })
      : min === -Infinity
        ? t('runtime.settings.atMost', { max })
        : t('runtime.settings.between', { min, max });
  return `${kind} ${range}`;
}

/** A number setting, `fallback` when blank, else within its limits. */
export function numberSetting(
  raw: unknown,
  name: string,
  fallback: number,
  limits: NumberLimits = {},
  t: Translate = sharedEnglish,
): number {
  if (isBlank(raw)) return fallback;
  const { min = -Infinity, max = Infinity, aboveMin = false, integer = false } = limits;
  if (!numberAllowed({ value: '', min, max, aboveMin, integer }, raw)) {
    const allowed = allowedRange(limits, t);
    throw new SettingError(t('runtime.settings.number', { name, allowed, value: JSON.stringify(raw) }));
  }
  return typeof raw === 'number' ? raw : Number(String(raw).trim());
}

/**
 * A number setting of `type` read by its entry in {@link NUMBER_SETTINGS} (`key`, which is the
 * setting's name unless the table keeps a variant of it, as `size.time`): its blank default and
 * bounds. A setting whose blank means "decided at run time" reads as `undefined` when blank.
 */
export function tableSetting(
  raw: unknown,
  type: SampleNodeType,
  key: string,
  t: Translate = sharedEnglish,
): number | undefined {
  const spec = NUMBER_SETTINGS[type][key];
  if (!spec) throw new Error(`no setting ${key} of ${type} in NUMBER_SETTINGS`);
  const name = key.split('.')[0];
  return spec.blank === undefined
    ? optionalNumberSetting(raw, name, spec, t)
    : numberSetting(raw, name, spec.blank, spec, t);
}

/** {@link tableSetting} of a setting that has a blank default. */
export function tableNumber(raw: unknown, type: SampleNodeType, key: string, t?: Translate): number {
  return tableSetting(raw, type, key, t) as number;
}

/** An optional number setting: `undefined` when blank. */
export function optionalNumberSetting(
  raw: unknown,
  name: string,
  limits: NumberLimits = {},
  t: Translate = sharedEnglish,
): number | undefined {
  return isBlank(raw) ? undefined : numberSetting(raw, name, 0, limits, t);
}

/** One of `choices`, the first when blank. */
export function choiceSetting<T extends string>(
  raw: unknown,
  name: string,
  choices: readonly T[],
  t: Translate = sharedEnglish,
): T {
  if (isBlank(raw)) return choices[0];
  if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as T;
  const list = choices.map((c) => `"${c}"`).join(', ');
  throw new SettingError(t('runtime.settings.choice', { name, choices: list, value: JSON.stringify(raw) }));
}

/** A checkbox: `fallback` when absent; accepts booleans and "true"/"false". */
export function booleanSetting(
  raw: unknown,
  name: string,
  fallback: boolean,
  t: Translate = sharedEnglish,
): boolean {
  if (isBlank(raw)) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SettingError(t('runtime.settings.boolean', { name, value: JSON.stringify(raw) }));
}

/**
 * A msg property path such as `payload` or `data.values`; `fallback` when blank.
 * @param parse Node-RED's `RED.util.normalisePropertyExpression`: when given, a path it rejects
 *   (`a..b`, `a[`) is a setting error at deploy rather than an error on every message.
 */
export function propertySetting(
  raw: unknown,
  name: string,
  fallback: string,
  parse?: (path: string) => unknown,
  t: Translate = sharedEnglish,
): string {
  if (isBlank(raw)) return fallback;
  if (typeof raw !== 'string') throw new SettingError(t('runtime.settings.property', { name }));
  const path = raw.trim().replace(/^msg\./, '');
  const forbidden = (): SettingError =>
    new SettingError(t('runtime.settings.propertyForbidden', { name, value: JSON.stringify(raw) }));
  // Quoted parts too: payload['__proto__'] and payload["constructor"] name the same properties.
  if (path.split(/[.[\]'"]/).some(isForbiddenName)) throw forbidden();
  if (parse) {
    let parts: unknown;
    try {
      parts = parse(path);
    } catch (err) {
      throw new SettingError(
        t('runtime.settings.propertyInvalid', { name, message: (err as Error).message }),
      );
    }
    // What Node-RED will really walk, whatever the quoting or escaping.
    if (Array.isArray(parts) && parts.some((part) => typeof part === 'string' && isForbiddenName(part))) {
      throw forbidden();
    }
  }
  return path;
}

/**
 * A context store name; `undefined` (the default store) when blank.
 * @param contextStorage Node-RED's `contextStorage` setting: a name it does not configure is a
 *   setting error, since Node-RED would silently keep the models in its default store instead.
 */
export function storeSetting(
  raw: unknown,
  contextStorage: unknown,
  t: Translate = sharedEnglish,
): string | undefined {
  if (isBlank(raw)) return undefined;
  if (typeof raw !== 'string') throw new SettingError(t('runtime.settings.storeName'));
  const name = raw.trim();
  const configured =
    contextStorage !== null && typeof contextStorage === 'object'
      ? Object.keys(contextStorage).filter((store) => store !== '_')
      : [];
  // Without any configured store Node-RED has one, in memory, named "memory".
  const known = configured.length > 0 ? configured : ['memory'];
  if (!known.includes(name)) {
    throw new SettingError(
      t('runtime.settings.storeUnknown', { store: quoteKey(name), stores: known.join(', ') }),
    );
  }
  return name;
}
