import assert from 'node:assert/strict';
import { test } from 'node:test';

import { JobEvent, JobTracker, cancelPlan, increment, wantsNotification } from '../src/jobs';
import { statusView } from '../src/status';

function tracked(): { tracker: JobTracker; events: string[] } {
  let now = 1000;
  const tracker = new JobTracker(() => now++);
  const events: string[] = [];
  tracker.onEvent((event: JobEvent) => events.push(`${event.kind}:${event.job.token}`));
  return { tracker, events };
}

test('begin, report and end of a job\'s progress', () => {
  const { tracker, events } = tracked();
  tracker.handle('t1', { kind: 'begin', title: 'text2ml: generate ML program', cancellable: true, percentage: 0 });
  tracker.handle('t1', { kind: 'report', message: 'model: candidate 2/3', percentage: 40 });
  assert.deepEqual(tracker.active().map((job) => [job.title, job.message, job.percentage, job.cancellable]),
    [['text2ml: generate ML program', 'model: candidate 2/3', 40, true]]);
  tracker.handle('t1', { kind: 'report', percentage: 30 });
  tracker.handle('t1', { kind: 'report', percentage: 250 });
  assert.equal(tracker.get('t1')?.percentage, 100, 'the percentage only grows, up to 100');
  assert.equal(tracker.get('t1')?.message, 'model: candidate 2/3', 'a report without message keeps the last');
  tracker.handle('t1', { kind: 'end', message: 'program ready' });
  assert.deepEqual(tracker.active(), []);
  assert.deepEqual(events, ['begin:t1', 'report:t1', 'report:t1', 'report:t1', 'end:t1']);
});

test('reports and ends of unknown tokens are ignored; numeric tokens work', () => {
  const { tracker, events } = tracked();
  tracker.handle('nope', { kind: 'report', message: 'x' });
  tracker.handle('nope', { kind: 'end' });
  tracker.handle(7, { kind: 'begin', title: 'text2ml: optimize' });
  assert.equal(tracker.get('7')?.title, 'text2ml: optimize');
  assert.equal(tracker.get(7)?.cancellable, false);
  assert.deepEqual(events, ['begin:7']);
});

test('requestCancel: once per cancellable job', () => {
  const { tracker } = tracked();
  tracker.handle('a', { kind: 'begin', title: 'A', cancellable: true });
  tracker.handle('b', { kind: 'begin', title: 'B', cancellable: false });
  assert.equal(tracker.requestCancel('a'), true);
  assert.equal(tracker.requestCancel('a'), false);
  assert.equal(tracker.requestCancel('b'), false);
  assert.equal(tracker.requestCancel('gone'), false);
  assert.equal(tracker.get('a')?.cancelling, true);
});

test('clear ends every job (the server stopped)', () => {
  const { tracker, events } = tracked();
  tracker.handle('a', { kind: 'begin', title: 'A' });
  tracker.handle('b', { kind: 'begin', title: 'B' });
  tracker.clear();
  assert.deepEqual(tracker.active(), []);
  assert.deepEqual(events.slice(2), ['end:a', 'end:b']);
});

test('cancelPlan: the one job, a choice among several, or the server', () => {
  const { tracker } = tracked();
  assert.deepEqual(cancelPlan(tracker.active()), { kind: 'server' });
  tracker.handle('a', { kind: 'begin', title: 'A', cancellable: true });
  assert.deepEqual(cancelPlan(tracker.active()), { kind: 'progress', token: 'a' });
  tracker.handle('b', { kind: 'begin', title: 'B', cancellable: true });
  const plan = cancelPlan(tracker.active());
  assert.equal(plan.kind, 'pick');
  assert.deepEqual(plan.kind === 'pick' && plan.jobs.map((job) => job.token), ['a', 'b']);
  tracker.requestCancel('a');
  assert.deepEqual(cancelPlan(tracker.active()), { kind: 'progress', token: 'b' });
});

test('notification steps add up to the job\'s percentage', () => {
  assert.equal(increment(0, 40), 40);
  assert.equal(increment(40, 30), 0);
  assert.equal(increment(40, 120), 60);
  assert.equal(increment(10, undefined), 0);
});

test('long jobs get a notification; re-tests after a save only the status bar', () => {
  assert.equal(wantsNotification('text2ml: generate ML program'), true);
  assert.equal(wantsNotification('text2ml: optimize'), true);
  assert.equal(wantsNotification('text2ml: regenerate model/c2'), true);
  assert.equal(wantsNotification('text2ml: testing model'), false);
  assert.equal(wantsNotification('text2ml: testing all modules'), false);
});

test('the status bar shows the server state, or the newest job with its progress (click cancels)', () => {
  assert.equal(statusView('starting', []).text, '$(loading~spin) text2ml');
  const failed = statusView('failed', [], 'text2ml is not installed for "python3".');
  assert.deepEqual([failed.text, failed.command, failed.warning], ['$(warning) text2ml', 'text2ml.restartServer', true]);
  assert.match(failed.tooltip, /not installed/);
  assert.equal(statusView('stopped', []).command, 'text2ml.restartServer');
  const idle = statusView('running', []);
  assert.deepEqual([idle.text, idle.command], ['$(beaker) text2ml', 'text2ml.showOutput']);

  const { tracker } = tracked();
  tracker.handle('a', { kind: 'begin', title: 'text2ml: optimize', cancellable: true, percentage: 12.6 });
  tracker.handle('a', { kind: 'report', message: 'trial 5/40 · best 0.912' });
  const busy = statusView('running', tracker.active());
  assert.deepEqual([busy.text, busy.command], ['$(sync~spin) text2ml: optimize 13%', 'text2ml.cancelJob']);
  assert.match(busy.tooltip, /optimize 13%: trial 5\/40 · best 0\.912\nClick to cancel\./);
  tracker.handle('b', { kind: 'begin', title: 'text2ml: testing model' });
  tracker.requestCancel('a');
  assert.equal(statusView('running', tracker.active()).text, '$(sync~spin) text2ml: testing model (+1)');
  assert.match(statusView('running', tracker.active()).tooltip, /optimize 13%: trial 5\/40 · best 0\.912 \(cancelling\)/);
});
