/**
 * Bookkeeping of the server's running jobs, as its work-done progress shows them, and what
 * "Cancel job" does. Every text2ml job reports progress under a token the server creates
 * (`window/workDoneProgress/create`); cancelling sends `window/workDoneProgress/cancel` for it.
 */

export type ProgressToken = string | number;

export type ProgressValue =
  | { kind: 'begin'; title: string; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'report'; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'end'; message?: string };

export interface Job {
  token: ProgressToken;
  title: string;
  message?: string;
  percentage?: number;
  cancellable: boolean;
  cancelling: boolean;
  started: number;
}

export type JobEvent =
  | { kind: 'begin' | 'report'; job: Job }
  | { kind: 'end'; job: Job; message?: string };

/** Long jobs get a notification with a Cancel button; re-tests after a save only the status bar. */
export function wantsNotification(title: string): boolean {
  return !/^text2ml: testing\b/i.test(title);
}

export class JobTracker {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners: Array<(event: JobEvent) => void> = [];

  constructor(private readonly clock: () => number = Date.now) {}

  onEvent(listener: (event: JobEvent) => void): { dispose(): void } {
    this.listeners.push(listener);
    return {
      dispose: () => {
        const index = this.listeners.indexOf(listener);
        if (index >= 0) {
          this.listeners.splice(index, 1);
        }
      },
    };
  }

  /** Feed one `$/progress` value; values of unknown tokens (other than begin) are ignored. */
  handle(token: ProgressToken, value: ProgressValue): void {
    const key = String(token);
    if (value.kind === 'begin') {
      const job: Job = {
        token, title: value.title, message: value.message, percentage: value.percentage,
        cancellable: value.cancellable === true, cancelling: false, started: this.clock(),
      };
      this.jobs.set(key, job);
      this.emit({ kind: 'begin', job });
      return;
    }
    const job = this.jobs.get(key);
    if (job === undefined) {
      return;
    }
    if (value.kind === 'report') {
      if (value.message !== undefined) {
        job.message = value.message;
      }
      if (value.percentage !== undefined) {
        job.percentage = Math.max(job.percentage ?? 0, Math.min(100, value.percentage));
      }
      if (value.cancellable !== undefined) {
        job.cancellable = value.cancellable;
      }
      this.emit({ kind: 'report', job });
      return;
    }
    this.jobs.delete(key);
    this.emit({ kind: 'end', job, message: value.message });
  }

  /** Running jobs, oldest first. */
  active(): Job[] {
    return [...this.jobs.values()];
  }

  get(token: ProgressToken): Job | undefined {
    return this.jobs.get(String(token));
  }

  /**
   * Mark a job as being cancelled. False when it is unknown, not cancellable or already
   * cancelling: then no cancel needs to be sent.
   */
  requestCancel(token: ProgressToken): boolean {
    const job = this.jobs.get(String(token));
    if (job === undefined || !job.cancellable || job.cancelling) {
      return false;
    }
    job.cancelling = true;
    this.emit({ kind: 'report', job });
    return true;
  }

  /** The server stopped: its jobs are gone. */
  clear(): void {
    for (const job of [...this.jobs.values()]) {
      this.jobs.delete(String(job.token));
      this.emit({ kind: 'end', job, message: 'server stopped' });
    }
  }

  private emit(event: JobEvent): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
}

export type CancelPlan =
  | { kind: 'progress'; token: ProgressToken }
  | { kind: 'pick'; jobs: Job[] }
  | { kind: 'server' };

/**
 * What "Cancel job" does: cancel the one cancellable job, let the user pick among several,
 * or, when no job is known here, ask the server (`text2ml.cancel` with no arguments cancels
 * its only job, or says that nothing is running).
 */
export function cancelPlan(jobs: readonly Job[]): CancelPlan {
  const open = jobs.filter((job) => job.cancellable && !job.cancelling);
  if (open.length === 1) {
    return { kind: 'progress', token: open[0].token };
  }
  if (open.length > 1) {
    return { kind: 'pick', jobs: open };
  }
  return { kind: 'server' };
}

/** The step from what a notification already shows to the job's percentage (VS Code adds them up). */
export function increment(shown: number, percentage: number | undefined): number {
  if (percentage === undefined) {
    return 0;
  }
  return Math.max(0, Math.min(100, percentage) - shown);
}
