// Build the text2ml wheel that the .vsix bundles (client-vscode/out/wheel/), run by
// `npm run package` before `vsce package`: the extension's *Install text2ml* button installs it
// when the workspace is not a text2ml checkout. The Python is .venv's when there is one, else
// python3 (python on Windows). The wheel is built from a fresh copy of the project's files
// (git's tracked and untracked, not ignored), so no stale build/ folder leaks old modules in.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'client-vscode', 'out', 'wheel');
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const expected = `text2ml_studio-${version}-py3-none-any.whl`;

function python() {
  const venv = process.platform === 'win32'
    ? path.join(root, '.venv', 'Scripts', 'python.exe')
    : path.join(root, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : process.platform === 'win32' ? 'python' : 'python3';
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

/** The project's files: a clean copy in a temporary folder, or the checkout itself without git. */
function sourceTree() {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) {
    return { dir: root, cleanup() {} };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'text2ml-wheel-'));
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(root, file);
    if (existsSync(from)) { // a tracked file deleted in the working tree is not copied
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      copyFileSync(from, path.join(dir, file));
    }
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const py = python();
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const hasSetuptools = spawnSync(py, ['-c', 'import setuptools'], { stdio: 'ignore' }).status === 0;
const source = sourceTree();
try {
  // With setuptools at hand no build environment is downloaded (offline packaging works).
  run(py, ['-m', 'pip', 'wheel', source.dir, '--no-deps', '--quiet', '-w', outDir,
    ...(hasSetuptools ? ['--no-build-isolation'] : [])]);
} finally {
  source.cleanup();
}
const built = readdirSync(outDir);
if (built.length !== 1 || built[0] !== expected) {
  console.error(`build-wheel: expected only ${expected} in ${outDir}, found ${built.join(', ') || 'nothing'}`);
  process.exit(1);
}
console.log(`build-wheel: ${path.relative(root, path.join(outDir, expected))} (with ${py})`);
