import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  API_KEY_ENV, ProbeResult, describeLaunch, installCommand, isText2mlProject, parseProbe, probeAdvice, serverEnv,
  serverLaunch, shellFor,
} from '../src/launch';

test('the server is `python -P -m server`, so a workspace folder named server/ is never imported', () => {
  const launch = serverLaunch('/venv/bin/python', { PATH: '/bin' }, undefined, '/ws');
  assert.equal(launch.command, '/venv/bin/python');
  assert.deepEqual(launch.args, ['-P', '-m', 'text2ml.server']);
  assert.equal(launch.options.cwd, '/ws');
  assert.deepEqual(launch.options.env, { PATH: '/bin' });
  assert.equal(serverLaunch('python3', {}).options.cwd, undefined);
});

test('the stored API key is passed as TEXT2ML_API_KEY and replaces an inherited one', () => {
  assert.equal(serverEnv({ [API_KEY_ENV]: 'inherited' }, 'stored')[API_KEY_ENV], 'stored');
  assert.equal(serverEnv({ [API_KEY_ENV]: 'inherited' })[API_KEY_ENV], 'inherited');
  assert.equal(serverEnv({}, '')[API_KEY_ENV], undefined);
  assert.deepEqual(serverEnv({ A: 'a', B: undefined }), { A: 'a' });
});

test('describeLaunch says whether a key is set, never the key', () => {
  const withKey = describeLaunch(serverLaunch('/p/python', {}, 'sk-secret-123', '/ws'));
  assert.equal(withKey, '/p/python -P -m server in /ws (TEXT2ML_API_KEY set)');
  assert.ok(!withKey.includes('sk-secret-123'));
  assert.equal(describeLaunch(serverLaunch('python3', {})), 'python3 -P -m server (TEXT2ML_API_KEY not set)');
});

const probe = (stdout: string, extra: Partial<Parameters<typeof parseProbe>[0]> = {}): ProbeResult =>
  parseProbe({ stdout, stderr: '', exitCode: 0, ...extra });

test('parseProbe: text2ml importable', () => {
  assert.deepEqual(probe('noise\n{"python": "3.11.7", "executable": "/v/python", "version": "0.1.0"}\n'),
    { kind: 'ok', python: '3.11.7', version: '0.1.0' });
});

test('parseProbe: not installed, broken, old Python, no interpreter, no answer', () => {
  assert.equal(probe('{"python": "3.12.1", "error": "PackageNotFoundError: No package metadata was found for text2ml"}').kind, 'missing');
  assert.equal(probe('{"python": "3.12.1", "error": "ModuleNotFoundError: No module named \'server\'"}').kind, 'missing');
  const broken = probe('{"python": "3.11.7", "version": "0.1.0", "error": "ModuleNotFoundError: No module named \'pygls\'"}');
  assert.deepEqual(broken, { kind: 'broken', detail: "ModuleNotFoundError: No module named 'pygls'" });
  assert.equal(probe('', { stderr: 'Unknown option: -P\nusage: python3 [option] ...', exitCode: 2 }).kind, 'tooOld');
  assert.equal(probe('', { exitCode: null, error: { code: 'ENOENT', message: 'spawn python9 ENOENT' } }).kind, 'notFound');
  assert.equal(probe('', { exitCode: null, error: { killed: true } }).kind, 'timeout');
  assert.deepEqual(probe('', { stderr: 'line 1\nFatal Python error: init\nboom', exitCode: 1 }),
    { kind: 'broken', detail: 'line 1 Fatal Python error: init boom' });
  assert.deepEqual(probe('not json', { exitCode: 3 }), { kind: 'broken', detail: 'exit code 3' });
});

test('probeAdvice offers to install only when text2ml is missing or broken', () => {
  const advice = (result: ProbeResult) => probeAdvice(result, '/v/python');
  assert.deepEqual(advice({ kind: 'missing', detail: '' }).actions, ['install', 'selectInterpreter']);
  assert.match(advice({ kind: 'missing', detail: '' }).message, /not installed for "\/v\/python"/);
  assert.deepEqual(advice({ kind: 'broken', detail: 'x' }).actions, ['install', 'showOutput']);
  assert.deepEqual(advice({ kind: 'notFound', detail: '' }).actions, ['selectInterpreter', 'openSettings']);
  assert.match(advice({ kind: 'tooOld', detail: '' }).message, /needs Python 3\.11 or newer/);
  assert.deepEqual(advice({ kind: 'ok', python: '3.11.7', version: '0.1.0' }).actions, []);
  assert.deepEqual(advice({ kind: 'timeout', detail: '' }).actions, ['showOutput']);
});

test('installCommand: pip of the chosen interpreter, quoted for the terminal\'s shell', () => {
  assert.equal(installCommand('/venv/bin/python', 'posix'), '/venv/bin/python -m pip install text2ml');
  assert.equal(installCommand('/my venv/bin/python', 'posix', "/src/it's"),
    `'/my venv/bin/python' -m pip install -e '/src/it'"'"'s'`);
  assert.equal(installCommand('C:\\Py 3\\python.exe', 'powershell', 'C:\\src'),
    "& 'C:\\Py 3\\python.exe' -m pip install -e 'C:\\src'");
  assert.equal(shellFor('win32'), 'powershell');
  assert.equal(shellFor('darwin'), 'posix');
});

test('isText2mlProject recognises text2ml\'s own pyproject.toml', () => {
  assert.equal(isText2mlProject('[project]\nname = "text2ml"\nversion = "0.1.0"\n'), true);
  assert.equal(isText2mlProject('[project]\nname = "text2ml-extras"\n'), false);
  assert.equal(isText2mlProject('[project]\nname = "other"\n'), false);
});
