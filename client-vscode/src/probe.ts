/** Run the interpreter once to check that text2ml imports there (no `vscode` import: tested with node). */

import { execFile } from 'node:child_process';

import { PROBE_ARGS, ProbeResult, parseProbe } from './launch';

export const PROBE_TIMEOUT_MS = 30_000;

export function runProbe(python: string, env: { [name: string]: string }, cwd?: string,
  timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(python, [...PROBE_ARGS], { env, cwd, timeout: timeoutMs, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
        resolve(parseProbe({
          stdout,
          stderr,
          exitCode: typeof failure?.code === 'number' ? failure.code : failure ? null : 0,
          error: failure ? { code: failure.code, killed: failure.killed, message: failure.message } : undefined,
        }));
      });
  });
}
