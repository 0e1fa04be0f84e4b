import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chooseInterpreter, defaultPython, expandSetting, insideFolders } from '../src/interpreter';

const base = { trusted: true, workspaceFolders: ['/ws'], platform: 'linux', home: '/home/u' };

test('the text2ml.interpreter setting wins over the Python extension', () => {
  assert.deepEqual(chooseInterpreter({ ...base, setting: '/opt/py/bin/python', pythonExtension: '/ws/.venv/bin/python' }),
    { ok: true, path: '/opt/py/bin/python', source: 'setting' });
});

test('without the setting, the Python extension\'s interpreter; without either, python3 (python on Windows)', () => {
  assert.deepEqual(chooseInterpreter({ ...base, setting: ' ', pythonExtension: '/ws/.venv/bin/python' }),
    { ok: true, path: '/ws/.venv/bin/python', source: 'python extension' });
  assert.deepEqual(chooseInterpreter({ ...base }), { ok: true, path: 'python3', source: 'default' });
  assert.equal(defaultPython('win32'), 'python');
});

test('the setting expands ${workspaceFolder}, ~ and paths relative to the first folder; a bare command stays', () => {
  assert.equal(expandSetting('${workspaceFolder}/.venv/bin/python', ['/ws'], '/home/u'), '/ws/.venv/bin/python');
  assert.equal(expandSetting('~/py/bin/python', ['/ws'], '/home/u'), '/home/u/py/bin/python');
  assert.equal(expandSetting('${userHome}/py/bin/python', [], '/home/u'), '/home/u/py/bin/python');
  assert.equal(expandSetting('.venv/bin/python', ['/ws'], '/home/u'), '/ws/.venv/bin/python');
  assert.equal(expandSetting('python3.12', ['/ws'], '/home/u'), 'python3.12');
});

test('untrusted workspace: an interpreter inside it is never run', () => {
  const untrusted = { ...base, trusted: false };
  const fromExtension = chooseInterpreter({ ...untrusted, pythonExtension: '/ws/.venv/bin/python' });
  assert.equal(fromExtension.ok && fromExtension.path, 'python3');
  assert.match(fromExtension.ok ? fromExtension.note ?? '' : '', /not trusted/);
  const fromSetting = chooseInterpreter({ ...untrusted, setting: '${workspaceFolder}/.venv/bin/python' });
  assert.equal(fromSetting.ok, false);
  assert.match(!fromSetting.ok ? fromSetting.reason : '', /text2ml\.interpreter is \/ws\/\.venv\/bin\/python: this workspace is not trusted/);
  assert.deepEqual(chooseInterpreter({ ...untrusted, pythonExtension: '/usr/bin/python3' }),
    { ok: true, path: '/usr/bin/python3', source: 'python extension' });
});

test('insideFolders: below a folder only, not a sibling with the same prefix nor the folder itself', () => {
  assert.equal(insideFolders('/ws/.venv/bin/python', ['/other', '/ws']), true);
  assert.equal(insideFolders('/ws2/bin/python', ['/ws']), false);
  assert.equal(insideFolders('/ws', ['/ws']), false);
  assert.equal(insideFolders('/ws/../etc/python', ['/ws']), false);
  assert.equal(insideFolders('python3', ['/ws']), false);
});
