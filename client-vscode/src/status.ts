/** What the status bar item shows: the server's state, or the active job and its progress. */

import { Job } from './jobs';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusView {
  text: string;
  tooltip: string;
  /** The command a click runs. */
  command: string;
  warning: boolean;
}

export const SHOW_OUTPUT = 'text2ml.showOutput';
export const CANCEL_JOB = 'text2ml.cancelJob';
export const RESTART = 'text2ml.restartServer';

/** "generate ML program" from "text2ml: generate ML program". */
export function shortTitle(title: string): string {
  return title.replace(/^text2ml:\s*/i, '');
}

export function statusView(server: ServerState, jobs: readonly Job[], problem?: string): StatusView {
  if (server === 'failed') {
    return {
      text: '$(warning) text2ml', tooltip: `${problem ?? 'The text2ml server is not running.'}\nClick to restart it.`,
      command: RESTART, warning: true,
    };
  }
  if (server !== 'running') {
    return {
      text: server === 'starting' ? '$(loading~spin) text2ml' : '$(circle-slash) text2ml',
      tooltip: server === 'starting' ? 'The text2ml server is starting.' : 'The text2ml server is stopped. Click to start it.',
      command: server === 'starting' ? SHOW_OUTPUT : RESTART, warning: false,
    };
  }
  if (jobs.length === 0) {
    return { text: '$(beaker) text2ml', tooltip: 'text2ml: no job running. Click for the output.', command: SHOW_OUTPUT, warning: false };
  }
  const job = jobs[jobs.length - 1];
  const percent = job.percentage === undefined ? '' : ` ${Math.round(job.percentage)}%`;
  const more = jobs.length > 1 ? ` (+${jobs.length - 1})` : '';
  const state = job.cancelling ? ' — cancelling…' : '';
  const lines = jobs.map((j) => `${shortTitle(j.title)}${j.percentage === undefined ? '' : ` ${Math.round(j.percentage)}%`}`
    + `${j.message ? `: ${j.message}` : ''}${j.cancelling ? ' (cancelling)' : ''}`);
  return {
    text: `$(sync~spin) text2ml: ${shortTitle(job.title)}${percent}${more}${state}`,
    tooltip: `${lines.join('\n')}\nClick to cancel.`,
    command: CANCEL_JOB,
    warning: false,
  };
}
