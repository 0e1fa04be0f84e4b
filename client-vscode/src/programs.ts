/**
 * The tree of the `text2ml/programs` reply (server/programs_view.py): programs → slots →
 * candidates, and each program's leaderboard. No `vscode` import: tested with node.
 */

export interface CandidateInfo {
  name: string;
  status: string;
  accepted: boolean;
  best?: boolean;
  origin?: string | null;
  recipe?: string | null;
  score?: number | null;
  check?: string | null;
  uri?: string | null;
}

export interface SlotInfo { slot: string; accepted?: string | null; candidates: CandidateInfo[] }

export interface LeaderRow { candidates: string; best: number | null; trials: number; [state: string]: unknown }

export interface ProgramInfo {
  name: string;
  folder: string;
  uri: string;
  task?: string | null;
  metric?: string | null;
  best?: number | null;
  slots: SlotInfo[];
  leaderboard: LeaderRow[];
}

export interface ProgramsReply { programs: ProgramInfo[] }

export interface TreeNode {
  label: string;
  description?: string;
  tooltip?: string;
  /** A file the node opens when clicked. */
  uri?: string;
  /** A codicon id. */
  icon: string;
  children: TreeNode[];
}

export const PROGRAMS_REQUEST = 'text2ml/programs';

const ICONS: { [status: string]: string } = { passed: 'pass', failed: 'error', rejected: 'circle-slash' };

function score(value: number | null | undefined): string | undefined {
  return typeof value === 'number' ? value.toFixed(3) : undefined;
}

/** "passed · used by the best trial · score 0.973 · recipe tabular/model_hgb". */
export function candidateSummary(candidate: CandidateInfo): string {
  const parts = [candidate.status === 'failed' && candidate.check ? `failed (${candidate.check})` : candidate.status];
  if (candidate.best) {
    parts.push('used by the best trial');
  } else if (candidate.accepted) {
    parts.push('accepted');
  }
  const value = score(candidate.score);
  if (value !== undefined) {
    parts.push(`score ${value}`);
  }
  if (candidate.recipe) {
    parts.push(`recipe ${candidate.recipe}`);
  } else if (candidate.origin) {
    parts.push(`from the ${candidate.origin}`);
  }
  return parts.join(' · ');
}

function candidateNode(candidate: CandidateInfo): TreeNode {
  return {
    label: candidate.name, description: candidateSummary(candidate), tooltip: candidateSummary(candidate),
    uri: candidate.uri ?? undefined, icon: candidate.best ? 'star-full' : ICONS[candidate.status] ?? 'question', children: [],
  };
}

function leaderboardNode(rows: readonly LeaderRow[]): TreeNode {
  return {
    label: 'Leaderboard', description: `${rows.length} combination${rows.length === 1 ? '' : 's'}`, icon: 'graph',
    children: rows.map((row, index) => ({
      label: `#${index + 1} ${row.candidates}`,
      description: [score(row.best) ?? 'no score', `${row.trials} trial${row.trials === 1 ? '' : 's'}`].join(' · '),
      icon: index === 0 ? 'star-full' : 'circle-outline',
      children: [],
    })),
  };
}

export function programNodes(reply: ProgramsReply | null | undefined): TreeNode[] {
  return (reply?.programs ?? []).map((program) => {
    const best = score(program.best);
    const children: TreeNode[] = program.slots.filter((slot) => slot.candidates.length > 0).map((slot) => ({
      label: slot.slot,
      description: `${slot.candidates.filter((c) => c.status === 'passed').length}/${slot.candidates.length} passed`,
      icon: 'symbol-module',
      children: slot.candidates.map(candidateNode),
    }));
    if (program.leaderboard.length > 0) {
      children.push(leaderboardNode(program.leaderboard));
    }
    return {
      label: program.name,
      description: best !== undefined ? `best ${program.metric ?? 'score'} ${best}` : undefined,
      tooltip: program.task ?? program.folder,
      icon: 'beaker',
      children,
    };
  });
}
