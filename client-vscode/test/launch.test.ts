import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import {
  API_KEY_ENV, PROBE_SCRIPT, ProbeResult, WHEEL_DIR, chooseInstallSource, describeLaunch, installCommand,
  isText2mlProject, parseProbe, probeAdvice, serverEnv, serverLaunch, shellFor, wheelName,
} from '../src/launch';
import { ROOT } from './paths';

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
  assert.equal(withKey, '/p/python -P -m text2ml.server in /ws (TEXT2ML_API_KEY set)');
  assert.ok(!withKey.includes('sk-secret-123'));
  assert.equal(describeLaunch(serverLaunch('python3', {})), 'python3 -P -m text2ml.server (TEXT2ML_API_KEY not set)');
});

const probe = (stdout: string, extra: Partial<Parameters<typeof parseProbe>[0]> = {}): ProbeResult =>
  parseProbe({ stdout, stderr: '', exitCode: 0, ...extra });

test('parseProbe: text2ml importable', () => {
  assert.deepEqual(probe('noise\n{"python": "3.11.7", "executable": "/v/python", "version": "0.1.0"}\n'),
    { kind: 'ok', python: '3.11.7', version: '0.1.0' });
});

test('parseProbe: not installed, broken, old Python, no interpreter, no answer', () => {
  assert.equal(probe('{"python": "3.12.1", "error": "PackageNotFoundError: No package metadata was found for text2ml"}').kind, 'missing');
  assert.equal(probe('{"python": "3.12.1", "error": "ModuleNotFoundError: No module named \'text2ml\'"}').kind, 'missing');
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
  assert.deepEqual(advice({ kind: 'missing', detail: '' }).actions, ['install', 'selectInterpreter', 'openSettings']);
  assert.match(advice({ kind: 'missing', detail: '' }).message, /not installed for "\/v\/python"/);
  assert.deepEqual(advice({ kind: 'broken', detail: 'x' }).actions, ['install', 'showOutput']);
  assert.deepEqual(advice({ kind: 'notFound', detail: '' }).actions, ['selectInterpreter', 'openSettings']);
  assert.match(advice({ kind: 'tooOld', detail: '' }).message, /needs Python 3\.11 or newer/);
  assert.deepEqual(advice({ kind: 'ok', python: '3.11.7', version: '0.1.0' }).actions, []);
  assert.deepEqual(advice({ kind: 'timeout', detail: '' }).actions, ['showOutput']);
});

test('a missing text2ml names the interpreter and the setting that chose it (issue 16, item 2)', () => {
  const missing = { kind: 'missing', detail: '' } as const;
  assert.match(probeAdvice(missing, 'python3', 'default').message,
    /not installed for "python3" \(the default: text2ml\.interpreter is empty and no interpreter is selected in the Python extension\)/);
  assert.match(probeAdvice(missing, '/v/python', 'setting').message, /"\/v\/python" \(from the text2ml\.interpreter setting\)/);
  assert.match(probeAdvice(missing, '/p/python', 'python extension').message, /selected in the Python extension/);
  assert.match(probeAdvice({ kind: 'notFound', detail: '' }, '/x', 'setting').message, /from the text2ml\.interpreter setting/);
});

const CHECKOUT = { kind: 'checkout', folder: '/src/text2ml' } as const;
const WHEEL = { kind: 'wheel', file: '/ext/client-vscode/out/wheel/text2ml_studio-0.1.0-py3-none-any.whl' } as const;

test('installCommand: pip of the chosen interpreter, quoted for the terminal\'s shell', () => {
  assert.equal(installCommand('/venv/bin/python', 'posix', CHECKOUT),
    "/venv/bin/python -m pip install -e '/src/text2ml[embedded]'");
  assert.equal(installCommand('/venv/bin/python', 'posix', WHEEL),
    "/venv/bin/python -m pip install '/ext/client-vscode/out/wheel/text2ml_studio-0.1.0-py3-none-any.whl[embedded]'");
  assert.equal(installCommand('/my venv/bin/python', 'posix', { kind: 'checkout', folder: "/src/it's" }),
    `'/my venv/bin/python' -m pip install -e '/src/it'"'"'s[embedded]'`);
  assert.equal(installCommand('C:\\Py 3\\python.exe', 'powershell', { kind: 'checkout', folder: 'C:\\src' }),
    "& 'C:\\Py 3\\python.exe' -m pip install -e 'C:\\src[embedded]'");
  assert.equal(installCommand('C:\\Py 3\\python.exe', 'powershell', { kind: 'wheel', file: 'C:\\ext\\t.whl' }),
    "& 'C:\\Py 3\\python.exe' -m pip install 'C:\\ext\\t.whl[embedded]'");
  assert.equal(shellFor('win32'), 'powershell');
  assert.equal(shellFor('darwin'), 'posix');
});

test('install: never the bare PyPI name `text2ml`, an unrelated package', () => {
  for (const source of [CHECKOUT, WHEEL]) {
    for (const shell of ['posix', 'powershell'] as const) {
      const command = installCommand('python3', shell, source);
      assert.doesNotMatch(command, /install\s+(-e\s+)?'?text2ml('|\s|\[|$)/, command);
    }
  }
});

test('chooseInstallSource: a checkout in the workspace, else the bundled wheel, else nothing', () => {
  assert.deepEqual(chooseInstallSource('/src/text2ml', WHEEL.file), CHECKOUT);
  assert.deepEqual(chooseInstallSource(undefined, WHEEL.file), WHEEL);
  assert.equal(chooseInstallSource(undefined, undefined), undefined);
});

test('the bundled wheel: named as pip wheel names it, in the folder the .vsix ships', () => {
  const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  assert.equal(wheelName(version), `text2ml_studio-${version}-py3-none-any.whl`);
  assert.deepEqual([...WHEEL_DIR], ['client-vscode', 'out', 'wheel']);
  assert.match(readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), /^!client-vscode\/out\/wheel\/\*\.whl$/m);
});

test('isText2mlProject recognises text2ml\'s own pyproject.toml (distribution text2ml-studio)', () => {
  assert.equal(isText2mlProject('[project]\nname = "text2ml-studio"\nversion = "0.1.0"\n'), true);
  assert.equal(isText2mlProject("[project]\nname = 'text2ml_studio'\n"), true);
  assert.equal(isText2mlProject('[project]\nname = "text2ml"\n'), false, 'the unrelated PyPI package');
  assert.equal(isText2mlProject('[project]\nname = "text2ml-studio-extras"\n'), false);
  assert.equal(isText2mlProject('[project]\nname = "other"\n'), false);
  assert.equal(isText2mlProject(readFileSync(path.join(ROOT, 'pyproject.toml'), 'utf8')), true);
});

test('the probe checks the distribution the button installs', () => {
  assert.match(PROBE_SCRIPT, /version\("text2ml-studio"\)/);
  const missing = parseProbe({ stdout: '{"python": "3.11.7", "error": "PackageNotFoundError: No package metadata was found for text2ml-studio"}\n', stderr: '', exitCode: 0 });
  assert.equal(missing.kind, 'missing');
  assert.match(probeAdvice(missing, '/v/python').message, /text2ml is not installed for "\/v\/python"/);
});
