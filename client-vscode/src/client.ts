/** The language client for one server process, and the middleware that makes it feel native. */

import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ResponseError,
  ServerOptions,
} from 'vscode-languageclient/node';

import { RUNS_GENERATED_CODE, UNTRUSTED_MESSAGE, documentToSave, errorText, isReportUri } from './commands';
import { JobTracker } from './jobs';
import { ServerLaunch } from './launch';
import { SECTION, configurationReply, initializationOptions, serverSettings } from './settings';

export const CLIENT_ID = 'text2ml';
export const TRUST_COMMAND = 'workbench.trust.manage';

/** `text2ml.*` settings of a folder (or of the window), read by their key under "text2ml.". */
export function settingReader(scope?: vscode.Uri): (key: string) => unknown {
  const config = vscode.workspace.getConfiguration(SECTION, scope ?? null);
  return (key) => config.get(key);
}

export async function refuseUntrusted(): Promise<void> {
  const trust = 'Manage Workspace Trust';
  if (await vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, trust) === trust) {
    await vscode.commands.executeCommand(TRUST_COMMAND);
  }
}

async function saveIfDirty(uri: string): Promise<void> {
  const document = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri);
  if (document?.isDirty) {
    await document.save();
  }
}

function middleware(getClient: () => LanguageClient | undefined, tracker: JobTracker): Middleware {
  return {
    // Server commands run from code lenses, code actions and the palette. Generated code is
    // not run in an untrusted workspace; the file a generation reads is saved first; an error
    // response is shown in the server's own words.
    async executeCommand(command, args) {
      if (RUNS_GENERATED_CODE.has(command) && !vscode.workspace.isTrusted) {
        await refuseUntrusted();
        return undefined;
      }
      const unsaved = documentToSave(command, args);
      if (unsaved !== undefined) {
        await saveIfDirty(unsaved);
      }
      const client = getClient();
      if (client === undefined) {
        void vscode.window.showWarningMessage('text2ml: the server is not running. Run "text2ml: Restart server".');
        return undefined;
      }
      try {
        return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
      } catch (error) {
        const message = error instanceof ResponseError || error instanceof Error ? error.message : String(error);
        void vscode.window.showWarningMessage(errorText(command, message));
        return undefined;
      }
    },
    // The optimization report opens as a Markdown preview, with its plots.
    window: {
      async showDocument(params, token, next) {
        if (!params.external && isReportUri(params.uri)) {
          await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.parse(params.uri));
          return { success: true };
        }
        return next(params, token);
      },
    },
    // The server asks for section "text2ml": it gets its own keys only, not the extension's.
    workspace: {
      configuration(params) {
        return configurationReply(params.items, (scope) => settingReader(scope ? vscode.Uri.parse(scope) : undefined));
      },
    },
    // Jobs show in the status bar and in notifications with a Cancel button (feedback.ts), not
    // in the window area; the end is passed on so the client forgets the token.
    handleWorkDoneProgress(token, params, next) {
      tracker.handle(token, params);
      if (params.kind === 'end') {
        next(token, params);
      }
    },
    // Saving a generated module makes the server re-run its tests: not in an untrusted workspace.
    didSave(document, next) {
      return vscode.workspace.isTrusted ? next(document) : Promise.resolve();
    },
  };
}

export function createClient(launch: ServerLaunch, output: vscode.LogOutputChannel, tracker: JobTracker): LanguageClient {
  const trusted = vscode.workspace.isTrusted;
  const serverOptions: ServerOptions = { command: launch.command, args: launch.args, options: launch.options };
  let client: LanguageClient | undefined;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'python' }],
    outputChannel: output,
    initializationOptions: initializationOptions(serverSettings(settingReader()), trusted),
    middleware: middleware(() => client, tracker),
  };
  client = new LanguageClient(CLIENT_ID, 'text2ml', serverOptions, clientOptions);
  return client;
}
