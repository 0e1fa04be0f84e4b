/** The interpreter check, run for real: the project's .venv, its base Python (no text2ml), nothing. */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { serverEnv } from '../src/launch';
import { runProbe } from '../src/probe';
import { ROOT, VENV_PYTHON, serverMissing } from './paths';

const skip = serverMissing();
const env = serverEnv(process.env);

test('an interpreter that does not exist', async () => {
  const result = await runProbe(path.join(ROOT, 'no-such-dir', 'python'), env);
  assert.equal(result.kind, 'notFound');
});

test('the project\'s .venv has text2ml at the extension\'s version', { skip }, async () => {
  const result = await runProbe(VENV_PYTHON, env, ROOT);
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.deepEqual(result.kind === 'ok' && [result.version, /^3\.\d+\.\d+/.test(result.python)], [manifest.version, true]);
});

test('the Python the .venv was made from has no text2ml: "missing"', { skip }, async (t) => {
  const config = readFileSync(path.join(ROOT, '.venv', 'pyvenv.cfg'), 'utf8');
  const home = /^home\s*=\s*(.+)$/m.exec(config)?.[1].trim();
  const base = home && ['python3', 'python', 'python.exe'].map((name) => path.join(home, name)).find(existsSync);
  if (!base) {
    t.skip('no base interpreter named in .venv/pyvenv.cfg');
    return;
  }
  // From the repository root: without -P, `import server` would find the checkout's folder.
  const result = await runProbe(base, env, ROOT);
  assert.equal(result.kind, 'missing', JSON.stringify(result));
});
