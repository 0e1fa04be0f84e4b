/** Which Python runs the server: the `text2ml.interpreter` setting, else the Python extension's. */

import * as path from 'node:path';

export interface InterpreterInput {
  /** `text2ml.interpreter` as VS Code gives it (only the user's value in an untrusted workspace). */
  setting?: string;
  /** The interpreter selected in the Python extension, if it is installed and has one. */
  pythonExtension?: string;
  trusted: boolean;
  workspaceFolders: readonly string[];
  platform: string;
  home?: string;
}

export type Interpreter =
  | { ok: true; path: string; source: 'setting' | 'python extension' | 'default'; note?: string }
  | { ok: false; reason: string };

export function defaultPython(platform: string): string {
  return platform === 'win32' ? 'python' : 'python3';
}

/** `${workspaceFolder}`, `${userHome}` and a leading `~` expanded; relative to the first folder. */
export function expandSetting(value: string, workspaceFolders: readonly string[], home?: string): string {
  const folder = workspaceFolders[0];
  let expanded = value.trim();
  if (home !== undefined) {
    expanded = expanded.replace(/^~(?=$|[\\/])/, home).replace(/\$\{userHome\}/g, home);
  }
  if (folder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, folder);
    const isCommand = !/[\\/]/.test(expanded); // "python3": found on PATH, not in the folder
    if (!isCommand && !path.isAbsolute(expanded)) {
      expanded = path.resolve(folder, expanded);
    }
  }
  return expanded;
}

/** True when `file` lies inside one of the folders (a workspace's own executable). */
export function insideFolders(file: string, folders: readonly string[]): boolean {
  if (!path.isAbsolute(file)) {
    return false;
  }
  const resolved = path.resolve(file);
  return folders.some((folder) => {
    const relative = path.relative(path.resolve(folder), resolved);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
}

/**
 * The interpreter to start the server with. In an untrusted workspace an interpreter inside
 * the workspace (e.g. its `.venv`) is never run: it is the workspace's code.
 */
export function chooseInterpreter(input: InterpreterInput): Interpreter {
  const untrustedHint = 'this workspace is not trusted, so text2ml does not run an interpreter inside it; '
    + 'trust the workspace, or set text2ml.interpreter in your user settings to one outside it';
  const setting = input.setting?.trim();
  if (setting) {
    const chosen = expandSetting(setting, input.workspaceFolders, input.home);
    if (!input.trusted && insideFolders(chosen, input.workspaceFolders)) {
      return { ok: false, reason: `text2ml.interpreter is ${chosen}: ${untrustedHint}.` };
    }
    return { ok: true, path: chosen, source: 'setting' };
  }
  const selected = input.pythonExtension?.trim();
  if (selected) {
    if (input.trusted || !insideFolders(selected, input.workspaceFolders)) {
      return { ok: true, path: selected, source: 'python extension' };
    }
    return {
      ok: true, path: defaultPython(input.platform), source: 'default',
      note: `The Python extension selected ${selected}, but ${untrustedHint}.`,
    };
  }
  return { ok: true, path: defaultPython(input.platform), source: 'default' };
}
