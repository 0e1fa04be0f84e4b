import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PALETTE, RUNS_GENERATED_CODE, SERVER_COMMANDS, documentToSave, errorText, isReportUri, paletteArguments,
} from '../src/commands';

const uri = 'file:///ws/task.py';
const actions = [
  { command: SERVER_COMMANDS.generate, arguments: [uri, { line: 2, character: 0 }] },
  { command: SERVER_COMMANDS.optimize, arguments: ['/ws/classify_wine'] },
];

test('palette commands take the arguments of the server\'s code action at the cursor', () => {
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.generate, actions, { uri }), [uri, { line: 2, character: 0 }]);
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.optimize, actions, { uri }), ['/ws/classify_wine']);
});

test('no code action at the cursor: the active file, else no argument (the server picks or asks)', () => {
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.test, actions, { uri }), [uri]);
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.showReport, [], { uri }), [uri]);
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.generate, [], undefined), []);
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.llmStatus, actions, { uri }), []);
  assert.deepEqual(paletteArguments(SERVER_COMMANDS.cancel, [], { uri }), []);
});

test('the arguments are copied, not shared with the code action', () => {
  const args = paletteArguments(SERVER_COMMANDS.generate, actions, { uri });
  args.push('x');
  assert.equal(actions[0].arguments.length, 2);
});

test('the report opens as a Markdown preview; other documents as usual', () => {
  assert.equal(isReportUri('file:///ws/classify_wine/.text2ml/report.md'), true);
  assert.equal(isReportUri('file:///c%3A/ws/prog/.text2ml/report.md'), true);
  assert.equal(isReportUri('file:///ws/classify_wine/pipeline.py'), false);
  assert.equal(isReportUri('file:///ws/report.md'), false);
});

test('generate saves its task file first; other commands do not', () => {
  assert.equal(documentToSave(SERVER_COMMANDS.generate, [uri, { line: 2 }]), uri);
  assert.equal(documentToSave(SERVER_COMMANDS.generate, []), undefined);
  assert.equal(documentToSave(SERVER_COMMANDS.generate, ['/ws/task.py']), undefined);
  assert.equal(documentToSave(SERVER_COMMANDS.optimize, [uri]), undefined);
});

test('error responses are shown without the command name', () => {
  assert.equal(errorText('text2ml.generate', 'text2ml.generate: task.py has unsaved changes; save it first'),
    'text2ml: task.py has unsaved changes; save it first');
  assert.equal(errorText('text2ml.test', 'Internal error'), 'text2ml: Internal error');
});

test('commands that run generated code are the ones refused when the workspace is untrusted', () => {
  assert.deepEqual([...RUNS_GENERATED_CODE].sort(),
    ['text2ml.generate', 'text2ml.optimize', 'text2ml.regenerateModule', 'text2ml.test']);
  for (const command of PALETTE.filter((c) => c.server !== undefined && RUNS_GENERATED_CODE.has(c.server))) {
    assert.match(command.enablement ?? '', /isWorkspaceTrusted/, command.id);
  }
});

test('palette commands have their own names: the language client registers the server\'s', () => {
  const server = new Set<string>(Object.values(SERVER_COMMANDS));
  const ids = PALETTE.map((command) => command.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.filter((id) => server.has(id)), []);
});
