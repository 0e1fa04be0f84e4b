/** The text2ml extension: starts the language server and wires its features into VS Code. */

import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, WorkDoneProgressCancelNotification } from 'vscode-languageclient/node';

import { settingReader } from './client';
import { CommandRef, PALETTE, SERVER_COMMANDS, paletteArguments } from './commands';
import { API_KEY_SECRET, ServerController } from './controller';
import { ProgressNotifications, StatusItem } from './feedback';
import { JobTracker, ProgressToken, cancelPlan } from './jobs';
import { ProgramsView } from './programsView';
import { onInterpreterChange } from './python';
import { SECTION, affectsServer, needsRestart, serverSettings } from './settings';
import { shortTitle } from './status';

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('text2ml', { log: true });
  const tracker = new JobTracker();
  const status = new StatusItem(tracker);
  const server = new ServerController(context, output, tracker, status);
  controller = server;

  const cancel = (token: ProgressToken): void => {
    const client = server.current;
    if (client !== undefined && tracker.requestCancel(token)) {
      void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    }
  };
  const notifications = new ProgressNotifications(tracker, cancel);
  context.subscriptions.push(output, status, notifications, server);
  const programs = new ProgramsView(() => server.current, tracker);
  context.subscriptions.push(programs, vscode.window.registerTreeDataProvider('text2ml.programs', programs));

  const handlers: { [id: string]: () => unknown } = {
    'text2ml.restartServer': () => server.restart(),
    'text2ml.showOutput': () => output.show(),
    'text2ml.refreshPrograms': () => programs.refresh(),
    'text2ml.cancelJob': () => cancelJob(tracker, cancel),
    'text2ml.setApiKey': () => setApiKey(context),
    'text2ml.clearApiKey': async () => {
      await context.secrets.delete(API_KEY_SECRET);
      void vscode.window.showInformationMessage('text2ml: API key removed.');
    },
  };
  for (const command of PALETTE) {
    const run = handlers[command.id] ?? (command.server ? () => runFromPalette(command.server as string) : undefined);
    if (run !== undefined) {
      context.subscriptions.push(vscode.commands.registerCommand(command.id, run));
    }
  }

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      const affects = (key: string): boolean => event.affectsConfiguration(key);
      if (needsRestart(affects)) {
        void server.restart();
      } else if (affectsServer(affects) && server.current !== undefined) {
        void server.current.sendNotification(DidChangeConfigurationNotification.type,
          { settings: { [SECTION]: serverSettings(settingReader()) } });
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.restart()),
    context.secrets.onDidChange((event) => {
      if (event.key === API_KEY_SECRET) {
        void server.restart();
      }
    }),
  );
  const interpreterWatch = await onInterpreterChange(() => {
    if (!vscode.workspace.getConfiguration(SECTION).get<string>('interpreter')) {
      void server.restart();
    }
  });
  if (interpreterWatch !== undefined) {
    context.subscriptions.push(interpreterWatch);
  }
  void server.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}

/** Run a server command with the arguments of the server's code action at the cursor. */
async function runFromPalette(command: string): Promise<unknown> {
  const editor = vscode.window.activeTextEditor;
  let actions: CommandRef[] = [];
  let active: { uri: string } | undefined;
  if (editor !== undefined && editor.document.uri.scheme === 'file') {
    active = { uri: editor.document.uri.toString() };
    const found = await vscode.commands.executeCommand<Array<vscode.CodeAction | vscode.Command>>(
      'vscode.executeCodeActionProvider', editor.document.uri, editor.selection, vscode.CodeActionKind.Refactor.value);
    actions = (found ?? []).flatMap((item) => {
      const run = typeof item.command === 'string' ? item as vscode.Command : (item as vscode.CodeAction).command;
      return run === undefined ? [] : [{ command: run.command, arguments: run.arguments }];
    });
  }
  return vscode.commands.executeCommand(command, ...paletteArguments(command, actions, active));
}

async function cancelJob(tracker: JobTracker, cancel: (token: ProgressToken) => void): Promise<void> {
  const plan = cancelPlan(tracker.active());
  if (plan.kind === 'progress') {
    cancel(plan.token);
  } else if (plan.kind === 'pick') {
    const picked = await vscode.window.showQuickPick(
      plan.jobs.map((job) => ({ label: shortTitle(job.title), description: job.message ?? '', token: job.token })),
      { placeHolder: 'Which text2ml job to cancel?' });
    if (picked !== undefined) {
      cancel(picked.token);
    }
  } else {
    await vscode.commands.executeCommand(SERVER_COMMANDS.cancel);
  }
}

async function setApiKey(context: vscode.ExtensionContext): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'text2ml: API key',
    prompt: 'The key of the OpenAI-compatible endpoint in text2ml.llm.baseUrl. It is kept in VS Code\'s secret '
      + 'storage and given to the text2ml server only (as TEXT2ML_API_KEY). Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) {
    return;
  }
  if (key.trim() === '') {
    await context.secrets.delete(API_KEY_SECRET);
    void vscode.window.showInformationMessage('text2ml: API key removed.');
    return;
  }
  await context.secrets.store(API_KEY_SECRET, key.trim());
  void vscode.window.showInformationMessage('text2ml: API key stored; the server restarts to use it.');
}
