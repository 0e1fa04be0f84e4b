/** The interpreter selected in the Python extension (ms-python.python), when it is installed. */

import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

async function api(): Promise<PythonExtension | undefined> {
  if (vscode.extensions.getExtension(PYTHON_EXTENSION_ID) === undefined) {
    return undefined;
  }
  try {
    return await PythonExtension.api();
  } catch {
    return undefined;
  }
}

/** The selected interpreter's executable for `resource`'s folder, or undefined. */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const python = await api();
  if (python === undefined) {
    return undefined;
  }
  try {
    const selected = python.environments.getActiveEnvironmentPath(resource);
    const resolved = await python.environments.resolveEnvironment(selected);
    return resolved?.executable.uri?.fsPath ?? selected.path;
  } catch {
    return undefined;
  }
}

/** Call `listener` when the user selects another interpreter in the Python extension. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const python = await api();
  return python?.environments.onDidChangeActiveEnvironmentPath(() => listener());
}

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}
