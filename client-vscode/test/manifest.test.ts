/** package.json (the extension's manifest) agrees with the code, and with the Python server. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { PALETTE, SERVER_COMMANDS } from '../src/commands';
import { CANDIDATE_SLOTS, CLIENT_KEYS, RESTRICTED_KEYS, SERVER_KEYS } from '../src/settings';
import { ROOT } from './paths';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const manifest = JSON.parse(read('package.json'));
const properties: { [key: string]: { default?: unknown } } = manifest.contributes.configuration.properties;

test('the extension\'s version is the Python package\'s (pyproject.toml) and the server\'s', () => {
  const pyproject = /^version\s*=\s*"([^"]+)"/m.exec(read('pyproject.toml'))?.[1];
  const server = /^VERSION\s*=\s*"([^"]+)"/m.exec(read('server/base.py'))?.[1];
  assert.equal(manifest.version, pyproject);
  assert.equal(manifest.version, server);
  const lock = JSON.parse(read('package-lock.json'));
  assert.equal(lock.version, manifest.version, 'package-lock.json: run npm install');
});

test('the server command names are server/commands.py\'s', () => {
  const python = read('server/commands.py');
  const names = [...python.matchAll(/^[A-Z_]+ = "(text2ml\.[A-Za-z]+)"$/gm)].map((match) => match[1]).sort();
  assert.deepEqual(Object.values(SERVER_COMMANDS).sort(), names);
});

test('palette commands: contributed under the category "text2ml", with their enablement', () => {
  const contributed = manifest.contributes.commands.map((c: { command: string; title: string; category: string; enablement?: string }) =>
    ({ id: c.command, title: c.title, category: c.category, enablement: c.enablement }));
  const expected = PALETTE.map((c) => ({ id: c.id, title: c.title, category: 'text2ml', enablement: c.enablement }));
  const enablements = new Map(expected.map((c) => [c.id, c.enablement]));
  // Cancel job is also disabled while no job runs (a context key kept by the status bar item).
  enablements.set('text2ml.cancelJob', 'text2ml.serverReady && text2ml.jobActive');
  assert.deepEqual(contributed, expected.map((c) => ({ ...c, enablement: enablements.get(c.id) })));
  for (const title of ['Generate ML program', 'Optimize', 'Re-run tests', 'Cancel job', 'Show report', 'Restart server',
    'Show LLM status', 'Set API key']) {
    assert.ok(contributed.some((c: { title: string }) => c.title === title), title);
  }
});

test('settings: the server\'s keys and the extension\'s, nothing else, and no API key', () => {
  const expected = [...SERVER_KEYS, ...CLIENT_KEYS].map((key) => `text2ml.${key}`).sort();
  assert.deepEqual(Object.keys(properties).sort(), expected);
  assert.ok(!Object.keys(properties).some((key) => /key|secret|token/i.test(key)));
});

test('setting defaults are the server\'s (server/config.py)', () => {
  const config = read('server/config.py');
  // The candidate slots are the layout module's generated slots (all but the rendered data.py).
  const slots = /^SLOTS: [^=]+= \(([^)]*)\)/m.exec(read('synthesis/layout.py'))?.[1].match(/"(\w+)"/g)
    ?.map((s) => s.slice(1, -1)).filter((slot) => slot !== 'data');
  assert.match(read('synthesis/layout.py'), /^GENERATED_SLOTS: [^=]+= SLOTS\[1:\]/m);
  assert.deepEqual([...CANDIDATE_SLOTS], slots);
  const defaults: { [field: string]: string } = {};
  for (const match of config.matchAll(/^ {4}(\w+): [^=\n]+= ([^#\n]+?)\s*(?:#.*)?$/gm)) {
    defaults[match[1]] = match[2];
  }
  assert.equal(String(properties['text2ml.repairs'].default), defaults.repairs);
  assert.equal(String(properties['text2ml.optimize.trials'].default), defaults.optimize_trials);
  assert.equal(String(properties['text2ml.optimize.jobs'].default), defaults.optimize_jobs);
  assert.equal(defaults.optimize_timeout, 'None');
  assert.equal(properties['text2ml.optimize.timeout'].default, 0, '0 is "no limit" for the server');
  for (const key of ['llm.baseUrl', 'llm.model', 'optimize.storage']) {
    assert.equal(properties[`text2ml.${key}`].default, '', `${key}: empty is "unset" for the server`);
  }
});

test('workspace trust: limited support, and the risky settings restricted', () => {
  const trust = manifest.capabilities.untrustedWorkspaces;
  assert.equal(trust.supported, 'limited');
  assert.deepEqual(trust.restrictedConfigurations, RESTRICTED_KEYS.map((key) => `text2ml.${key}`));
  assert.ok(trust.description.length > 20);
});

test('activation, entry point and engine', () => {
  assert.ok(manifest.activationEvents.includes('onLanguage:python'));
  assert.equal(manifest.main, './client-vscode/out/extension.js');
  const engine = /^\^(\d+\.\d+)\./.exec(manifest.engines.vscode)?.[1];
  const types = /^(\d+\.\d+)\./.exec(manifest.devDependencies['@types/vscode'])?.[1];
  assert.equal(types, engine, '@types/vscode must not be newer than engines.vscode');
  assert.equal(manifest.scripts['vscode:prepublish'].includes('build.mjs'), true);
});

test('text2ml.interpreter is read from User settings in a remote window too (issue 16, item 2)', () => {
  // VS Code ignores machine and machine-overridable settings in the User settings of a remote
  // window (code-server, Remote-SSH, WSL): the setting must not have those scopes.
  const scope = (properties['text2ml.interpreter'] as { scope?: string }).scope;
  assert.equal(scope, 'resource');
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('text2ml.interpreter'),
    'an untrusted workspace must not choose the interpreter');
});

test('what text2ml keeps beside a program is hidden in the Explorer (issue 16, item 3)', () => {
  // Staging is out of the workspace (the system's temporary folder); beside the program are
  // only the hidden folder a new program is assembled in for a moment before its rename,
  // .<program>.publishing-<random>, the job locks .<program>.lock, and the note
  // synthesis/program_lock.py writes beside a lock, .<program>.job.
  const layout = read('synthesis/layout.py');
  assert.match(layout, /prefix=f"text2ml-\{program_dir\.name\}-staging-"\)/);
  assert.match(layout, /prefix=f"\.\{program_dir\.name\}\.publishing-",\s+dir=program_dir\.parent/);
  assert.match(layout, /f"\.\{program_dir\.name\}\.lock"/);
  const exclude = manifest.contributes.configurationDefaults['files.exclude'];
  assert.deepEqual(exclude, { '**/.*.publishing-*': true, '**/.*.lock': true, '**/.*.job': true });
});

test('the programs tree is under text2ml\'s own activity-bar icon, with its refresh (issue 16)', () => {
  const containers: { id: string; title: string; icon: string }[] = manifest.contributes.viewsContainers.activitybar;
  assert.deepEqual(containers.map((c) => [c.id, c.title]), [['text2ml', 'text2ml']]);
  assert.deepEqual(Object.keys(manifest.contributes.views), ['text2ml'], 'no longer in the Explorer');
  assert.deepEqual(manifest.contributes.views.text2ml.map((v: { id: string }) => v.id), ['text2ml.programs']);
  // VS Code paints activity-bar icons in the theme's colour from the SVG's shape: a
  // monochrome icon drawn in currentColor, with no colours of its own to clash with a theme.
  const svg = read(containers[0].icon);
  assert.match(svg, /^<svg [^>]*viewBox="0 0 24 24"/);
  assert.match(svg, /currentColor/);
  assert.doesNotMatch(svg.replace(/currentColor|none/g, ''), /(fill|stroke)="[^"]+"/, 'only currentColor');
  assert.match(read('.vscodeignore'), new RegExp(`^!${path.dirname(containers[0].icon)}/\\*\\.svg$`, 'm'),
    'the icon is packaged');
  const refresh = manifest.contributes.menus['view/title'].find((m: { command: string }) => m.command === 'text2ml.refreshPrograms');
  assert.equal(refresh.when, 'view == text2ml.programs');
});
