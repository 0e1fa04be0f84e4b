/**
 * The extension in a real VS Code: the packaged .vsix installed into code-server (VS Code's
 * workbench served on 127.0.0.1), driven through Chromium as a user would — the lens,
 * Generate, the progress notification, pipeline.py opening, a module broken and saved, its
 * entry in the Problems panel, the quick fix, Optimize with its best score, the live
 * leaderboard in the Programs view under text2ml's activity-bar icon, Cancel, and the
 * report. The LLM is the scripted loopback server
 * (tests/e2e/serve_scripted_llm.py).
 *
 * Needs scripts/e2e-setup.sh (code-server, Chromium, Node 24) and `npm run package`; without
 * code-server it is skipped with the reason. Screenshots of every step go to
 * client-vscode/out/e2e/ (or TEXT2ML_E2E_SHOTS).
 */

import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { Browser, Locator, Page, chromium } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const VENV_PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CACHE = process.env.TEXT2ML_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'text2ml-e2e');
const SHOTS = process.env.TEXT2ML_E2E_SHOTS ?? path.join(ROOT, 'client-vscode', 'out', 'e2e');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const VSIX = path.join(ROOT, `${manifest.name}-${manifest.version}.vsix`);
// Generous: the machine may be shared; every wait is on a condition, never a fixed sleep.
const STEP_MS = 180_000;
const JOB_MS = 600_000;

interface Tools { node: string; codeServer: string; chromium: string }

/** The installed tools, or why the test cannot run here. */
function tools(): Tools | string {
  const file = path.join(CACHE, 'paths.json');
  if (!existsSync(file)) {
    return `code-server is not installed (${file} is missing): scripts/e2e-setup.sh did not finish, see its output`;
  }
  const found = JSON.parse(readFileSync(file, 'utf8')) as Tools;
  const missing = Object.values(found).filter((p) => !existsSync(p));
  return missing.length > 0 ? `installed tools are missing: ${missing.join(', ')}` : found;
}

const found = tools();
const skip = typeof found === 'string' ? found : undefined;
if (skip !== undefined) {
  console.log(`real-VS-Code test skipped: ${skip}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves with the first stdout line of `child` that matches `pattern`. */
function lineMatching(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${seen}`)), STEP_MS);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match !== null) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what}: the process exited with ${code}:\n${seen}`)));
  });
}

let tmp = '';
let llm: ChildProcess | undefined;
let codeServer: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let workspace = '';
let shot = 0;
const log: string[] = [];

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}

function workspaceSettings(baseUrl: string): object {
  return {
    'text2ml.interpreter': VENV_PYTHON,
    'text2ml.llm.baseUrl': baseUrl,
    'text2ml.llm.model': 'scripted',
    'text2ml.candidates.features': 1,
    'text2ml.candidates.model': 1,
    'text2ml.candidates.training': 1,
    'text2ml.candidates.postprocess': 1,
    'text2ml.repairs': 1,
    'text2ml.optimize.trials': 200,
    'text2ml.optimize.jobs': 1,
  };
}

// What a fresh VS Code would show first (welcome page, tips, chat) is turned off, and typing
// is taken literally (no auto-closed quotes), so the steps below see the editor only.
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
};

before(async () => {
  if (skip !== undefined) {
    return;
  }
  const installed = found as Tools;
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run npm run package first`);
  mkdirSync(SHOTS, { recursive: true });
  for (const old of readdirSync(SHOTS).filter((name) => name.endsWith('.png'))) {
    rmSync(path.join(SHOTS, old));
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), 'text2ml-e2e-'));
  workspace = path.join(tmp, 'project');
  const data = path.join(tmp, 'data');
  const extensions = path.join(tmp, 'extensions');
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  mkdirSync(path.join(data, 'User'), { recursive: true });
  cpSync(path.join(ROOT, 'examples', 'tasks', 'wine_cultivar.py'), path.join(workspace, 'task.py'));
  mkdirSync(path.join(workspace, '.git')); // hidden by VS Code's own files.exclude
  writeFileSync(path.join(data, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  writeFileSync(path.join(tmp, 'config.toml'), '');

  llm = spawn(VENV_PYTHON, [path.join(ROOT, 'tests', 'e2e', 'serve_scripted_llm.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [baseUrl] = await lineMatching(llm, /http:\/\/127\.0\.0\.1:\d+\/v1/, 'the scripted LLM');
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings(baseUrl), null, 2));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(installed.node)}:${process.env.PATH ?? ''}`,
    TEXT2ML_CONFIG: path.join(tmp, 'config.toml'), // never the developer's own LLM settings
    TEXT2ML_MAX_RETRIES: '0',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
  };
  delete env.TEXT2ML_API_KEY;
  delete env.TEXT2ML_BASE_URL;
  writeFileSync(path.join(tmp, 'code-server.yaml'), ''); // not the user's ~/.config/code-server
  const dirs = ['--config', path.join(tmp, 'code-server.yaml'), '--user-data-dir', data, '--extensions-dir', extensions];
  const install = spawnSync(installed.codeServer, [...dirs, '--install-extension', VSIX], { env, encoding: 'utf8', timeout: STEP_MS });
  assert.equal(install.status, 0, `installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);

  const port = await freePort();
  codeServer = spawn(installed.codeServer, [...dirs, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    workspace], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  codeServer.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  await lineMatching(codeServer, /HTTP server listening on/, 'code-server to listen');

  browser = await chromium.launch({
    executablePath: installed.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.setDefaultTimeout(STEP_MS);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  if (codeServer?.pid !== undefined) {
    try {
      process.kill(-codeServer.pid, 'SIGTERM'); // its group: the extension host and text2ml's server too
    } catch {
      // already gone
    }
  }
  llm?.stdin?.end();
  if (tmp !== '' && process.env.TEXT2ML_E2E_KEEP === undefined) {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** Runs a palette command by its title, e.g. "text2ml: Show report". */
async function palette(title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Opens a workspace file by its relative path through Quick Open. */
async function openFile(relative: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(relative);
  // Clicked, not Enter: the list may still show recent files before it filters.
  let row = page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) });
  if (path.dirname(relative) !== '.') {
    row = row.filter({ hasText: path.dirname(relative) });
  }
  await row.first().click();
  await activeTab(path.basename(relative)).waitFor();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

function activeTab(name: string): Locator {
  return page.locator('.tabs-container .tab.active', { hasText: name });
}

function lens(text: string | RegExp): Locator {
  return page.locator('.codelens-decoration a', { hasText: text }).first();
}

function toast(text: string | RegExp): Locator {
  return page.locator('.notification-toast', { hasText: text }).first();
}

/** Waits until a toast has slid fully into view, so its screenshot shows it whole. */
async function settled(item: Locator): Promise<void> {
  await item.waitFor();
  const height = page.viewportSize()?.height ?? 0;
  // Runs in the page; the tests compile without the DOM's types, hence the local ones.
  type Box = { getBoundingClientRect(): { bottom: number } };
  type Window = { getComputedStyle(element: Box): { opacity: string } };
  await page.waitForFunction(([element, bottom]) => {
    const styles = (globalThis as unknown as Window).getComputedStyle(element as Box);
    return (element as Box).getBoundingClientRect().bottom <= (bottom as number) && styles.opacity === '1';
  }, [await item.elementHandle(), height] as const);
}

/** Does `act` until `item` shows, each time waiting a while for it; fails after STEP_MS. */
async function untilShown(item: Locator, act: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    await act();
    try {
      await item.waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
  }
}

async function goToLine(line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
}

/** The 1-based line of the first statement in build_model's body (after a multi-line signature too). */
function firstBodyLine(source: string): number {
  const lines = source.split('\n');
  let index = lines.findIndex((text) => text.startsWith('def build_model'));
  assert.ok(index >= 0, 'no build_model in the model module');
  while (!lines[index].trimEnd().endsWith(':')) {
    index += 1;
  }
  return index + 2;
}

/**
 * Shows the text2ml view as a user would: a click on text2ml's icon in the activity bar (a
 * second click would hide the side bar again, so only when it is not showing yet). Returns
 * the rows of its tree.
 */
async function openProgramsView(): Promise<Locator> {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /text2ml/i });
  if (!(await title.isVisible())) {
    await page.locator('.part.activitybar .action-item [aria-label^="text2ml"]').first().click();
  }
  await title.waitFor();
  // Wider, as a user drags the side bar's edge, so the rows' scores are not cut off.
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (bar !== null && bar.width < 560) {
    const y = bar.y + bar.height / 2;
    await page.mouse.move(bar.x + bar.width + 1, y);
    await page.mouse.down();
    await page.mouse.move(bar.x + 600, y, { steps: 10 });
    await page.mouse.up();
  }
  return page.locator('.part.sidebar .monaco-list-row');
}

/** Unfolds a tree row; a row already open stays open (a click would fold it). */
async function expand(row: Locator): Promise<void> {
  await row.waitFor();
  if ((await row.getAttribute('aria-expanded')) !== 'true') {
    await row.click();
  }
  await page.waitForFunction((element) => (element as unknown as { getAttribute(name: string): string | null })
    .getAttribute('aria-expanded') === 'true', await row.elementHandle());
}

function programDir(): string {
  const dirs = readdirSync(workspace, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(workspace, entry.name, 'pipeline.py')));
  assert.equal(dirs.length, 1, `one program folder expected in ${workspace}`);
  return path.join(workspace, dirs[0].name);
}

// The whole test's bound is only a hang guard: each step has its own bound above, and a busy
// machine that takes most of several steps' bounds must not fail for their sum.
test('a user generates, fixes, optimizes and reads the report in a real VS Code', { skip, timeout: 12 * JOB_MS }, async () => {
  const started = Date.now();
  try {
    await openFile('task.py');
    await lens('Generate ML program').waitFor();
    await screenshot('lens');

    await lens('Generate ML program').click();
    const progress = toast('text2ml: generate ML program');
    await settled(progress);
    await screenshot('generate-progress');

    await activeTab('pipeline.py').waitFor({ timeout: JOB_MS });
    await toast('tested program written').waitFor({ timeout: JOB_MS });
    // text2ml stages out of the workspace; its job locks beside the program are hidden in
    // the Explorer (package.json configurationDefaults), and VS Code's own hidden folders
    // stay hidden: the defaults are merged, not replaced.
    assert.deepEqual(readdirSync(workspace).filter((name) => /staging/.test(name)), []);
    const rows = page.locator('.explorer-folders-view .monaco-list-row');
    await rows.filter({ hasText: 'pipeline.py' }).first().waitFor();
    const names = await rows.allInnerTexts();
    assert.deepEqual(names.filter((name) => /staging|publishing|\.lock|\.job|^\.git$/.test(name.trim())), [],
      names.join(', '));
    await screenshot('pipeline-opened');

    const program = programDir();
    const modelDir = path.join(program, 'candidates', 'model');
    const module = readdirSync(modelDir).filter((name) => name.endsWith('.py')).sort()[0];
    const relative = path.relative(workspace, path.join(modelDir, module));
    const line = firstBodyLine(readFileSync(path.join(modelDir, module), 'utf8'));
    await openFile(relative);
    await goToLine(line);
    await page.keyboard.press('Home'); // to the statement's first character: the indent is kept
    await page.keyboard.type("raise ValueError('broken on purpose')");
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+S');
    await palette('View: Focus Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'broken on purpose' }).first();
    await problem.waitFor({ timeout: JOB_MS });
    assert.match(await problem.innerText(), new RegExp(`Ln ${line}\\b`), 'the problem is at the broken line');
    await screenshot('problem');

    await goToLine(line);
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Regenerate this module' }).first();
    await untilShown(fix, async () => {
      // A click on the broken line gives the editor the focus and the cursor; the code
      // actions are asked for when the key is pressed, again until the server's fix is there.
      await page.keyboard.press('Escape');
      await page.locator('.editor-instance .view-line', { hasText: 'broken on purpose' }).first().click();
      await page.keyboard.press('Control+.');
    });
    await screenshot('quick-fix');
    await fix.click();
    await problem.waitFor({ state: 'detached', timeout: JOB_MS });
    assert.doesNotMatch(readFileSync(path.join(modelDir, module), 'utf8'), /broken on purpose/);
    // The editor reloads the regenerated module from disk.
    await page.locator('.editor-instance .view-lines', { hasText: 'broken on purpose' }).waitFor({ state: 'detached' });
    await screenshot('fixed');

    await openFile('task.py');
    await lens('Optimize').click();
    const best = toast(/best \d\.\d{3}/);
    await best.waitFor({ timeout: JOB_MS });
    await settled(best);
    await screenshot('optimize-progress');

    // The programs tree (the server's text2ml/programs request) under text2ml's icon in the
    // activity bar: while the optimization still runs, its leaderboard shows a scored trial.
    const tree = await openProgramsView();
    await expand(tree.filter({ hasText: path.basename(program) }).first());
    await expand(tree.filter({ hasText: 'Leaderboard' }).first());
    await tree.filter({ hasText: /#1 / }).filter({ hasText: /\d\.\d{3} · \d+ trials?/ }).first().waitFor();
    assert.ok(await best.isVisible(), 'the optimization still runs');
    await screenshot('leaderboard-live');
    await best.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toast('finished trials kept').waitFor({ timeout: JOB_MS });
    await screenshot('cancelled');
    assert.ok(existsSync(path.join(program, '.text2ml', 'study.db')), 'the study is kept');

    // After the cancel: program → slots → candidates, and the kept trials' leaderboard.
    await expand(tree.filter({ hasText: /^model/ }).first());
    await tree.filter({ hasText: /passed · accepted · score \d\.\d{3}/ }).first().waitFor();
    await tree.filter({ hasText: /#1 .*model c1/ }).first().waitFor();
    await screenshot('programs-tree');

    await page.keyboard.press('Control+J'); // hides the panel: the report gets the room
    await page.locator('.markers-panel').waitFor({ state: 'hidden' });
    await palette('text2ml: Show report');
    await page.locator('.tabs-container .tab', { hasText: 'report' }).first().waitFor();
    const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe');
    const plot = preview.locator('img').first();
    await plot.waitFor();
    await plot.scrollIntoViewIfNeeded();
    await screenshot('report');
  } catch (error) {
    await screenshot('failure').catch(() => undefined);
    // What VS Code told the user: the notifications, also those already hidden.
    await palette('Notifications: Show Notifications').catch(() => undefined);
    const told = await page.locator('.notifications-center .notification-list-item').allInnerTexts().catch(() => []);
    console.log(`notifications:\n${told.join('\n---\n')}`);
    console.log(`code-server's log:\n${log.join('').slice(-4000)}`);
    throw error;
  } finally {
    console.log(`real-VS-Code test: ${((Date.now() - started) / 1000).toFixed(0)} s in the browser; screenshots in ${SHOTS}`);
  }
});
