/** Where the repository's files are, seen from the compiled tests (client-vscode/out/tsc/test/). */

import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const VENV_PYTHON = process.platform === 'win32'
  ? path.join(ROOT, '.venv', 'Scripts', 'python.exe')
  : path.join(ROOT, '.venv', 'bin', 'python');

/**
 * Why the tests that need the real server cannot run here, or undefined when they can. In CI
 * (CI=true) they always run: a missing .venv must fail there, not pass as skipped.
 */
export function serverMissing(): string | undefined {
  return existsSync(VENV_PYTHON) || process.env.CI === 'true'
    ? undefined
    : `${VENV_PYTHON} is missing: run scripts/setup.sh (make setup) to test against the real text2ml server`;
}
