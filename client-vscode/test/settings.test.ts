import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CLIENT_KEYS, SERVER_KEYS, affectsServer, configurationReply, initializationOptions, needsRestart, serverSettings,
} from '../src/settings';

const values: { [key: string]: unknown } = {
  'llm.baseUrl': 'http://127.0.0.1:8000/v1',
  'llm.model': 'qwen',
  'candidates.model': 3,
  'candidates.features': null,
  repairs: 0,
  'optimize.trials': 40,
  'optimize.timeout': 0,
  'optimize.storage': '',
  interpreter: '/usr/bin/python3',
  'trace.server': 'verbose',
};
const read = (key: string): unknown => values[key];

test('serverSettings nests the server\'s keys and leaves out unset ones', () => {
  assert.deepEqual(serverSettings(read), {
    llm: { baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen' },
    candidates: { model: 3 },
    repairs: 0,
    optimize: { trials: 40, timeout: 0, storage: '' },
  });
});

test('the extension\'s own settings are never sent to the server', () => {
  const sent = JSON.stringify(serverSettings(read));
  assert.ok(!sent.includes('interpreter') && !sent.includes('trace'));
  assert.deepEqual(CLIENT_KEYS.filter((key) => SERVER_KEYS.includes(key)), []);
});

test('no setting set: an empty object, so the server keeps its defaults', () => {
  assert.deepEqual(serverSettings(() => undefined), {});
});

test('initializationOptions carry the settings under "text2ml", and trusted: false only when untrusted', () => {
  const settings = { repairs: 2 };
  assert.deepEqual(initializationOptions(settings, true), { text2ml: { repairs: 2 } });
  assert.deepEqual(initializationOptions(settings, false), { text2ml: { repairs: 2, trusted: false } });
  assert.deepEqual(settings, { repairs: 2 }, 'the settings object is not changed');
});

test('workspace/configuration: the text2ml section gets the server\'s settings for its scope, others null', () => {
  const scopes: Array<string | undefined> = [];
  const reply = configurationReply([{ section: 'text2ml', scopeUri: 'file:///ws' }, { section: 'python' }, {}],
    (scope) => {
      scopes.push(scope);
      return (key) => (key === 'repairs' ? 5 : undefined);
    });
  assert.deepEqual(reply, [{ repairs: 5 }, null, null]);
  assert.deepEqual(scopes, ['file:///ws']);
});

test('a new interpreter restarts the server; server settings are sent; other changes are ignored', () => {
  const changed = (...keys: string[]) => (key: string): boolean => keys.includes(key);
  assert.equal(needsRestart(changed('text2ml.interpreter')), true);
  assert.equal(needsRestart(changed('text2ml.llm.model')), false);
  assert.equal(affectsServer(changed('text2ml.llm.model')), true);
  assert.equal(affectsServer(changed('text2ml.candidates.postprocess')), true);
  assert.equal(affectsServer(changed('text2ml.trace.server')), false);
  assert.equal(affectsServer(changed('python.defaultInterpreterPath')), false);
});
