/** `npm run package` builds the text2ml wheel first and the .vsix carries it. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT } from './paths';

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const VSIX = path.join(ROOT, `${manifest.name}-${manifest.version}.vsix`);

test('the package script builds the wheel, packages, then checks the .vsix', () => {
  const steps = String(manifest.scripts.package).split('&&').map((step) => step.trim());
  assert.equal(steps[0], 'node client-vscode/build-wheel.mjs');
  assert.match(steps[1], /^vsce package /);
  assert.equal(steps[2], 'node client-vscode/check-vsix.mjs');
});

test('the packaged .vsix holds the text2ml wheel', { skip: existsSync(VSIX) ? false : `${VSIX} not built yet (npm run package)` }, () => {
  const checked = spawnSync(process.execPath, [path.join(ROOT, 'client-vscode', 'check-vsix.mjs'), VSIX], { encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, new RegExp(`client-vscode/out/wheel/text2ml_studio-${manifest.version.replace(/\./g, '\\.')}-py3-none-any\\.whl`));
  const listed = spawnSync('unzip', ['-l', VSIX], { encoding: 'utf8' });
  if (listed.status === 0) { // where unzip exists, it agrees
    assert.match(listed.stdout, /extension\/client-vscode\/out\/wheel\/text2ml_studio-.*-py3-none-any\.whl/);
  }
});
