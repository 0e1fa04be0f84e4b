/**
 * The `text2ml.*` settings: which ones the server reads, and what it is sent.
 *
 * The server reads llm.baseUrl, llm.model, candidates.<slot>, repairs and optimize.* from
 * initializationOptions and from `workspace/configuration` (section "text2ml"). Everything
 * else under "text2ml" (interpreter, trace.server) belongs to the extension and is never
 * sent: the server warns about keys it does not know. The API key is not a setting.
 */

export const SECTION = 'text2ml';

/** Slots whose number of candidates can be set (server/config.py CANDIDATE_SLOTS). */
export const CANDIDATE_SLOTS = ['features', 'model', 'training', 'postprocess'] as const;

/** Keys (under "text2ml.") the server understands, in the order the Settings UI shows them. */
export const SERVER_KEYS: readonly string[] = [
  'llm.baseUrl',
  'llm.model',
  ...CANDIDATE_SLOTS.map((slot) => `candidates.${slot}`),
  'repairs',
  'optimize.trials',
  'optimize.timeout',
  'optimize.jobs',
  'optimize.storage',
];

/** Keys the extension itself reads; never sent to the server. */
export const CLIENT_KEYS: readonly string[] = ['interpreter', 'trace.server'];

/**
 * Settings a workspace must not choose while it is untrusted (VS Code then uses the user's
 * value only): the program that is run, and where code and the API key are sent.
 */
export const RESTRICTED_KEYS: readonly string[] = ['interpreter', 'llm.baseUrl', 'optimize.storage'];

export type ServerSettings = { [key: string]: unknown };

/** Reads one setting by its key under "text2ml." (e.g. `llm.model`); undefined when unset. */
export type SettingReader = (key: string) => unknown;

function setPath(target: ServerSettings, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const child = node[part];
    if (typeof child !== 'object' || child === null) {
      node[part] = {};
    }
    node = node[part] as ServerSettings;
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * The server's settings as a nested object, e.g. `{llm: {model: "m"}, optimize: {trials: 40}}`.
 * Unset values (undefined, null) are left out so the server keeps its own defaults; the
 * server checks each value and warns about the ones it ignores.
 */
export function serverSettings(read: SettingReader): ServerSettings {
  const settings: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = read(key);
    if (value !== undefined && value !== null) {
      setPath(settings, key, value);
    }
  }
  return settings;
}

/**
 * initializationOptions: `{"text2ml": {...settings}}`, plus `"trusted": false` inside it when
 * the workspace is not trusted (absent means trusted, so other clients need not send it).
 */
export function initializationOptions(settings: ServerSettings, trusted: boolean): { text2ml: ServerSettings } {
  return { text2ml: trusted ? { ...settings } : { ...settings, trusted: false } };
}

/**
 * The reply to `workspace/configuration`: the server's settings (for the item's scope) for
 * items whose section is "text2ml", and null for any other section.
 */
export function configurationReply(items: ReadonlyArray<{ section?: string; scopeUri?: string }>,
  readerFor: (scopeUri?: string) => SettingReader): unknown[] {
  return items.map((item) => (item.section === SECTION ? serverSettings(readerFor(item.scopeUri)) : null));
}

/** True when a change of these settings needs a new server process (not just new settings). */
export function needsRestart(affects: (key: string) => boolean): boolean {
  return affects(`${SECTION}.interpreter`);
}

/** True when a change of these settings should be sent to the running server. */
export function affectsServer(affects: (key: string) => boolean): boolean {
  return SERVER_KEYS.some((key) => affects(`${SECTION}.${key}`));
}
