/**
 * The status bar item and the progress notifications of running jobs.
 *
 * The language client would show the server's progress in the window area, where VS Code
 * offers no Cancel button; instead long jobs get a notification whose Cancel sends
 * `window/workDoneProgress/cancel`, and every job shows in the status bar item.
 */

import * as vscode from 'vscode';

import { Job, JobTracker, ProgressToken, increment, wantsNotification } from './jobs';
import { ServerState, statusView } from './status';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('text2ml.status', vscode.StatusBarAlignment.Left, 50);
  private server: ServerState = 'stopped';
  private problem: string | undefined;
  private jobActive: boolean | undefined;
  private readonly subscription: { dispose(): void };

  constructor(private readonly tracker: JobTracker) {
    this.item.name = 'text2ml';
    this.subscription = tracker.onEvent(() => this.render());
    this.render();
    this.item.show();
  }

  setServer(state: ServerState, problem?: string): void {
    this.server = state;
    this.problem = problem;
    this.render();
  }

  private render(): void {
    const jobs = this.tracker.active();
    const view = statusView(this.server, jobs, this.problem);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (this.jobActive !== jobs.length > 0) {
      this.jobActive = jobs.length > 0;
      void vscode.commands.executeCommand('setContext', 'text2ml.jobActive', this.jobActive);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

interface Shown {
  progress: vscode.Progress<{ message?: string; increment?: number }>;
  percentage: number;
  done: () => void;
}

export class ProgressNotifications implements vscode.Disposable {
  private readonly shown = new Map<string, Shown>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly tracker: JobTracker, private readonly cancel: (token: ProgressToken) => void) {
    this.subscription = tracker.onEvent((event) => {
      if (event.kind === 'begin' && wantsNotification(event.job.title)) {
        this.open(event.job);
      } else if (event.kind === 'report') {
        this.update(event.job);
      } else if (event.kind === 'end') {
        this.close(event.job.token);
      }
    });
  }

  private open(job: Job): void {
    const options = { location: vscode.ProgressLocation.Notification, title: job.title, cancellable: job.cancellable };
    void vscode.window.withProgress(options, (progress, token) => new Promise<void>((resolve) => {
      if (this.tracker.get(job.token) === undefined) {
        resolve(); // it ended before the notification opened
        return;
      }
      const entry: Shown = { progress, percentage: 0, done: resolve };
      this.shown.set(String(job.token), entry);
      token.onCancellationRequested(() => this.cancel(job.token));
      this.update(job);
    }));
  }

  private update(job: Job): void {
    const entry = this.shown.get(String(job.token));
    if (entry === undefined) {
      return;
    }
    const step = increment(entry.percentage, job.percentage);
    entry.percentage += step;
    const message = job.cancelling ? 'cancelling…' : job.message;
    entry.progress.report({ message, increment: step });
  }

  private close(token: ProgressToken): void {
    const entry = this.shown.get(String(token));
    this.shown.delete(String(token));
    entry?.done();
  }

  dispose(): void {
    this.subscription.dispose();
    for (const token of [...this.shown.keys()]) {
      this.close(token);
    }
  }
}
