/** Start, stop and restart the server: choose the interpreter, check text2ml there, launch. */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State } from 'vscode-languageclient/node';

import { createClient } from './client';
import { StatusItem } from './feedback';
import { chooseInterpreter } from './interpreter';
import { JobTracker } from './jobs';
import {
  ProbeAction, WHEEL_DIR, chooseInstallSource, describeLaunch, installCommand, isText2mlProject, probeAdvice, serverEnv,
  serverLaunch, shellFor, wheelName,
} from './launch';
import { runProbe } from './probe';
import { hasPythonExtension, selectedInterpreter } from './python';
import { SECTION } from './settings';
import { ServerState } from './status';

export const API_KEY_SECRET = 'text2ml.apiKey';

const BUTTONS: { [action in ProbeAction]: string } = {
  install: 'Install text2ml',
  selectInterpreter: 'Select Interpreter',
  openSettings: 'Open Settings',
  showOutput: 'Show Output',
};

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly tracker: JobTracker,
    private readonly status: StatusItem,
  ) {}

  get current(): LanguageClient | undefined {
    return this.client;
  }

  /** Start the server unless it runs or is starting; resolves once it runs or has failed. */
  start(): Promise<void> {
    if (this.client !== undefined) {
      return Promise.resolve();
    }
    this.pending ??= this.launch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async stop(): Promise<void> {
    await this.pending;
    const client = this.client;
    this.client = undefined;
    this.tracker.clear();
    this.setState('stopped');
    if (client !== undefined) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
  }

  async restart(): Promise<void> {
    this.output.info('restarting the server');
    await this.stop();
    await this.start();
  }

  private setState(state: ServerState, problem?: string): void {
    this.status.setServer(state, problem);
    void vscode.commands.executeCommand('setContext', 'text2ml.serverReady', state === 'running');
  }

  private fail(message: string, actions: ProbeAction[], python?: string): void {
    this.output.error(message);
    this.setState('failed', message);
    void this.offer(message, actions, python);
  }

  private async launch(): Promise<void> {
    this.setState('starting');
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const trusted = vscode.workspace.isTrusted;
    const choice = chooseInterpreter({
      setting: vscode.workspace.getConfiguration(SECTION, vscode.workspace.workspaceFolders?.[0]?.uri).get<string>('interpreter'),
      pythonExtension: await selectedInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri),
      trusted,
      workspaceFolders: folders,
      platform: process.platform,
      home: os.homedir(),
    });
    if (!choice.ok) {
      this.fail(choice.reason, ['openSettings']);
      return;
    }
    if (choice.note !== undefined) {
      this.output.warn(choice.note);
    }
    this.output.info(`interpreter: ${choice.path} (${choice.source})${trusted ? '' : '; workspace not trusted'}`);
    const cwd = folders[0];
    const probe = await runProbe(choice.path, serverEnv(process.env), cwd);
    const advice = probeAdvice(probe, choice.path, choice.source);
    if (probe.kind !== 'ok') {
      this.output.error(`check of ${choice.path}: ${probe.kind}: ${probe.detail}`);
      this.fail(advice.message, advice.actions, choice.path);
      return;
    }
    this.output.info(advice.message);
    const ours = String(this.context.extension.packageJSON.version);
    if (probe.version !== ours) {
      this.output.warn(`text2ml ${probe.version} is installed for ${choice.path}; this extension is ${ours}.`);
    }
    const launch = serverLaunch(choice.path, process.env, await this.context.secrets.get(API_KEY_SECRET), cwd);
    this.output.info(`starting ${describeLaunch(launch)}`);
    const client = createClient(launch, this.output, this.tracker);
    client.onDidChangeState((event) => {
      if (this.client !== client) {
        return;
      }
      if (event.newState === State.Running) {
        this.setState('running');
      } else if (event.newState === State.Stopped) {
        this.tracker.clear();
        this.setState('failed', 'The text2ml server stopped. See the text2ml output.');
      } else {
        this.setState('starting');
      }
    });
    this.client = client;
    try {
      await client.start();
      this.setState('running');
    } catch (error) {
      this.client = undefined;
      this.fail(`text2ml: the server did not start: ${error instanceof Error ? error.message : String(error)}`, ['showOutput']);
      void client.dispose().catch(() => undefined);
    }
  }

  private async offer(message: string, actions: ProbeAction[], python?: string): Promise<void> {
    const picked = await vscode.window.showErrorMessage(message, ...actions.map((action) => BUTTONS[action]));
    const action = actions.find((candidate) => BUTTONS[candidate] === picked);
    if (action === 'install' && python !== undefined) {
      await this.install(python);
    } else if (action === 'selectInterpreter' && hasPythonExtension()) {
      await vscode.commands.executeCommand('python.setInterpreter');
    } else if (action === 'selectInterpreter') {
      await pickInterpreterFile();
    } else if (action === 'openSettings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.interpreter`);
    } else if (action === 'showOutput') {
      this.output.show();
    }
  }

  /**
   * Open a terminal that installs text2ml for `python`: from a checkout in a trusted workspace,
   * else the wheel bundled in the .vsix.
   */
  private async install(python: string): Promise<void> {
    const checkout = vscode.workspace.isTrusted ? await this.checkout() : undefined;
    const source = chooseInstallSource(checkout, await this.bundledWheel());
    if (source === undefined) {
      void vscode.window.showErrorMessage(
        'text2ml: this build of the extension bundles no text2ml wheel and no workspace folder is a text2ml ' +
        'checkout. Open a text2ml checkout (trusted) and click Install again, or install the text2ml-studio ' +
        'wheel for that interpreter yourself.');
      return;
    }
    this.output.info(`installing text2ml from ${source.kind === 'checkout' ? source.folder : source.file}`);
    const terminal = vscode.window.createTerminal({ name: 'text2ml: install' });
    terminal.show();
    terminal.sendText(installCommand(python, shellFor(process.platform), source));
    void vscode.window.showInformationMessage(
      'When the install has finished, run "text2ml: Restart server" (or click text2ml in the status bar).');
  }

  /** The wheel `npm run package` put into the .vsix, if this build of the extension has one. */
  private async bundledWheel(): Promise<string | undefined> {
    const version = String(this.context.extension.packageJSON.version);
    const wheel = path.join(this.context.extensionPath, ...WHEEL_DIR, wheelName(version));
    try {
      await fs.access(wheel);
      return wheel;
    } catch {
      return undefined;
    }
  }

  private async checkout(): Promise<string | undefined> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        const pyproject = await fs.readFile(path.join(folder.uri.fsPath, 'pyproject.toml'), 'utf8');
        if (isText2mlProject(pyproject)) {
          return folder.uri.fsPath;
        }
      } catch {
        // no pyproject.toml here
      }
    }
    return undefined;
  }

  dispose(): void {
    void this.stop();
  }
}

/**
 * Without the Python extension (e.g. code-server from Open VSX without it), "Select
 * Interpreter" picks the executable and stores it as text2ml.interpreter in the user
 * settings; the setting's change restarts the server.
 */
async function pickInterpreterFile(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: 'text2ml: the Python interpreter that has text2ml installed',
    openLabel: 'Use this interpreter',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (picked?.[0] !== undefined) {
    await vscode.workspace.getConfiguration(SECTION).update('interpreter', picked[0].fsPath,
      vscode.ConfigurationTarget.Global);
  }
}
