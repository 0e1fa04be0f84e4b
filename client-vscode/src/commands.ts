/**
 * The server's commands (server/commands.py) and the palette commands that run them.
 *
 * Server commands are registered by the language client under their own names and run from
 * code lenses and code actions with the arguments the server put there. Palette commands
 * have names of their own and find those arguments from the cursor.
 */

export const SERVER_COMMANDS = {
  generate: 'text2ml.generate',
  test: 'text2ml.test',
  optimize: 'text2ml.optimize',
  cancel: 'text2ml.cancel',
  regenerateModule: 'text2ml.regenerateModule',
  showReport: 'text2ml.showReport',
  llmStatus: 'text2ml.llmStatus',
} as const;

/** Commands that run generated code (tests, trials): refused in an untrusted workspace. */
export const RUNS_GENERATED_CODE: ReadonlySet<string> = new Set([
  SERVER_COMMANDS.generate, SERVER_COMMANDS.test, SERVER_COMMANDS.optimize, SERVER_COMMANDS.regenerateModule,
]);

export const UNTRUSTED_MESSAGE = 'text2ml does not run generated code in an untrusted workspace, so it cannot '
  + 'generate, test or optimize here. Trust the workspace to use these commands.';

export interface PaletteCommand {
  id: string;
  title: string;
  /** The server command it runs, if any. */
  server?: string;
  /** A `when` clause for package.json's `enablement`, if the command is not always enabled. */
  enablement?: string;
}

const READY = 'text2ml.serverReady';
const TRUSTED_AND_READY = `${READY} && isWorkspaceTrusted`;

export const PALETTE: readonly PaletteCommand[] = [
  { id: 'text2ml.generateProgram', title: 'Generate ML program', server: SERVER_COMMANDS.generate, enablement: TRUSTED_AND_READY },
  { id: 'text2ml.optimizeProgram', title: 'Optimize', server: SERVER_COMMANDS.optimize, enablement: TRUSTED_AND_READY },
  { id: 'text2ml.rerunTests', title: 'Re-run tests', server: SERVER_COMMANDS.test, enablement: TRUSTED_AND_READY },
  { id: 'text2ml.cancelJob', title: 'Cancel job', server: SERVER_COMMANDS.cancel, enablement: READY },
  { id: 'text2ml.openReport', title: 'Show report', server: SERVER_COMMANDS.showReport, enablement: READY },
  { id: 'text2ml.restartServer', title: 'Restart server' },
  { id: 'text2ml.showLlmStatus', title: 'Show LLM status', server: SERVER_COMMANDS.llmStatus, enablement: READY },
  { id: 'text2ml.setApiKey', title: 'Set API key' },
  { id: 'text2ml.clearApiKey', title: 'Clear API key' },
  { id: 'text2ml.showOutput', title: 'Show output' },
  { id: 'text2ml.refreshPrograms', title: 'Refresh programs', enablement: READY },
];

/** A command as code actions and code lenses carry it. */
export interface CommandRef {
  command: string;
  arguments?: unknown[];
}

/** The active editor's document, if it is a file on disk. */
export interface ActiveFile {
  uri: string;
}

/**
 * Arguments for a palette command: those of the server's own code action at the cursor when
 * there is one (a task block's generate/optimize/test/report), else the active file's URI
 * (the server takes its only task block, or the program the file belongs to), else none
 * (the server takes the only task block among open documents, or says which it needs).
 */
export function paletteArguments(server: string, actions: readonly CommandRef[], active?: ActiveFile): unknown[] {
  const own = actions.find((action) => action.command === server);
  if (own !== undefined) {
    return [...(own.arguments ?? [])];
  }
  if (server === SERVER_COMMANDS.llmStatus || server === SERVER_COMMANDS.cancel) {
    return [];
  }
  return active === undefined ? [] : [active.uri];
}

/** The optimization report (<program>/.text2ml/report.md), which opens as a Markdown preview. */
export function isReportUri(uri: string): boolean {
  return /[\\/]\.text2ml[\\/]report\.md$/i.test(decodeURIComponent(uri));
}

/** The document a command works on when it must be saved first (generate reads the file on disk). */
export function documentToSave(command: string, args: readonly unknown[]): string | undefined {
  if (command !== SERVER_COMMANDS.generate) {
    return undefined;
  }
  const [first] = args;
  return typeof first === 'string' && first.startsWith('file:') ? first : undefined;
}

/** "text2ml.generate: task.py has unsaved changes…" → "text2ml: task.py has unsaved changes…". */
export function errorText(command: string, message: string): string {
  const plain = message.startsWith(`${command}: `) ? message.slice(command.length + 2) : message;
  return `text2ml: ${plain}`;
}
