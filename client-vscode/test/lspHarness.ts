/**
 * A VS Code-like LSP client for the protocol tests: starts the real text2ml server the way the
 * extension does (serverLaunch) and answers its requests with the extension's own logic
 * (settings mapping, job tracking).
 */

import { ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  ClientCapabilities,
  CodeAction,
  CodeActionRequest,
  CodeLens,
  CodeLensRequest,
  Command,
  ConfigurationRequest,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializeRequest,
  InitializeResult,
  InitializedNotification,
  LogMessageNotification,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowDocumentParams,
  ShowDocumentRequest,
  ShowMessageNotification,
  ShowMessageParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { JobTracker, ProgressToken, ProgressValue } from '../src/jobs';
import { ServerLaunch } from '../src/launch';
import { SettingReader, configurationReply, serverSettings } from '../src/settings';

/** waitFor's default bound. */
export const WAIT_MS = 120_000;

/** What VS Code 1.9x announces, as far as text2ml looks at it. */
export const VSCODE_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    workspaceFolders: true,
    applyEdit: true,
    didChangeConfiguration: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
    codeLens: { refreshSupport: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true, willSave: true },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'refactor.rewrite', 'source'] } },
    },
    codeLens: { dynamicRegistration: true },
    publishDiagnostics: { relatedInformation: true },
  },
  window: { workDoneProgress: true, showDocument: { support: true }, showMessage: {} },
};

export function fileUri(file: string): string {
  return pathToFileURL(file).href;
}

export class TestClient {
  readonly tracker = new JobTracker();
  /** Every $/progress value per token, in order. */
  readonly progress = new Map<string, ProgressValue[]>();
  readonly messages: ShowMessageParams[] = [];
  readonly logs: string[] = [];
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly shownDocuments: ShowDocumentParams[] = [];
  readonly stderr: string[] = [];
  configurationRequests = 0;
  initializeResult: InitializeResult | undefined;

  /** What `workspace/configuration` answers from; change it, then call changeSettings(). */
  settings: SettingReader;

  private constructor(readonly process: ChildProcess, readonly connection: ProtocolConnection, settings: SettingReader) {
    this.settings = settings;
  }

  /** Spawn the server as `launch` says and wire the client side; call initialize() next. */
  static start(launch: ServerLaunch, settings: SettingReader): TestClient {
    const child = spawn(launch.command, launch.args, { ...launch.options, stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new TestClient(child, connection, settings);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => client.stderr.push(chunk));
    client.wire();
    connection.listen();
    return client;
  }

  private wire(): void {
    const connection = this.connection;
    connection.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      // As the language client does: listen to the token's $/progress once the server made it.
      connection.onProgress(WorkDoneProgress.type, token, (value) => this.onProgress(token, value));
    });
    connection.onRequest(ConfigurationRequest.type, (params) => {
      this.configurationRequests += 1;
      return configurationReply(params.items, () => this.settings);
    });
    connection.onRequest(ShowDocumentRequest.type, (params) => {
      this.shownDocuments.push(params);
      return { success: true };
    });
    connection.onRequest(RegistrationRequest.type, () => undefined);
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onNotification(ShowMessageNotification.type, (params) => {
      this.messages.push(params);
    });
    connection.onNotification(LogMessageNotification.type, (params) => {
      this.logs.push(params.message);
    });
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params.diagnostics);
    });
  }

  private onProgress(token: ProgressToken, value: ProgressValue): void {
    const key = String(token);
    this.progress.set(key, [...(this.progress.get(key) ?? []), value]);
    this.tracker.handle(token, value);
  }

  async initialize(rootPath: string, initializationOptions: unknown): Promise<InitializeResult> {
    const rootUri = fileUri(rootPath);
    this.initializeResult = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'workspace' }],
      capabilities: VSCODE_CAPABILITIES,
      initializationOptions,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return this.initializeResult;
  }

  /** What the extension does when a text2ml setting changes: notify, and the server pulls. */
  async changeSettings(settings: SettingReader): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification(DidChangeConfigurationNotification.type,
      { settings: { text2ml: serverSettings(settings) } });
  }

  async open(file: string, text: string): Promise<string> {
    const uri = fileUri(file);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type,
      { textDocument: { uri, languageId: 'python', version: 1, text } });
    return uri;
  }

  async save(uri: string): Promise<void> {
    await this.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  execute(command: string, ...args: unknown[]): Promise<any> {
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  async codeActions(uri: string, line: number, diagnostics: Diagnostic[] = []): Promise<CodeAction[]> {
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const found = await this.connection.sendRequest(CodeActionRequest.type,
      { textDocument: { uri }, range, context: { diagnostics } });
    return (found ?? []).filter((item): item is CodeAction => !Command.is(item));
  }

  async codeLenses(uri: string): Promise<CodeLens[]> {
    return (await this.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
  }

  async cancelProgress(token: ProgressToken): Promise<void> {
    await this.connection.sendNotification(WorkDoneProgressCancelNotification.type, { token });
  }

  /** Everything the server said to the user or to the log, and its stderr. */
  everything(): string {
    return [...this.messages.map((m) => m.message), ...this.logs, ...this.stderr].join('\n');
  }

  /**
   * Polls `check` (which may ask the server: a promise is awaited) until it gives something
   * truthy. The default bound is generous, only a broken server reaches it: a busy machine
   * must pass, and the wait ends as soon as the condition holds.
   */
  async waitFor<T>(check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
    what: string, timeoutMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) {
        return value;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the server said:\n${this.everything()}`);
      }
      if (this.process.exitCode !== null) {
        throw new Error(`the server exited (${this.process.exitCode}) while waiting for ${what}:\n${this.everything()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** shutdown + exit, as VS Code does; kill the process if it lingers. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.process.exitCode !== null) {
        resolve();
      } else {
        this.process.once('exit', () => resolve());
      }
    });
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type),
        new Promise((resolve) => setTimeout(resolve, 5000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the process is gone already
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}
