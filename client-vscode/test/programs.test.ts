/** The programs tree from a `text2ml/programs` reply (issue 16: candidates and trials in the editor). */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ProgramsReply, candidateSummary, programNodes } from '../src/programs';

const REPLY: ProgramsReply = {
  programs: [{
    name: 'wine', folder: '/w/wine', uri: 'file:///w/wine', task: 'Classify wine', metric: 'accuracy', best: 0.9731,
    slots: [
      { slot: 'features', accepted: null, candidates: [] },
      {
        slot: 'model', accepted: 'c1', candidates: [
          { name: 'c1', status: 'passed', accepted: true, best: false, recipe: 'tabular/model_hgb', score: 0.97, uri: 'file:///w/wine/candidates/model/c1.py' },
          { name: 'c2', status: 'passed', accepted: false, best: true, origin: 'llm', score: 0.973, uri: 'file:///w/wine/candidates/model/c2.py' },
          { name: 'c3', status: 'failed', accepted: false, check: 'runtime', uri: 'file:///w/wine/.text2ml/rejected/model/c3.py' },
        ],
      },
    ],
    leaderboard: [{ candidates: 'model c2', best: 0.973, trials: 3 }, { candidates: 'model c1', best: null, trials: 1 }],
  }],
};

test('programs → slots with candidates → their state, recipe and score; then the leaderboard', () => {
  const [program] = programNodes(REPLY);
  assert.equal(program.label, 'wine');
  assert.equal(program.description, 'best accuracy 0.973');
  assert.deepEqual(program.children.map((n) => n.label), ['model', 'Leaderboard']); // empty slots are left out
  const [model, board] = program.children;
  assert.equal(model.description, '2/3 passed');
  assert.deepEqual(model.children.map((n) => [n.label, n.icon, n.uri?.split('/').pop()]),
    [['c1', 'pass', 'c1.py'], ['c2', 'star-full', 'c2.py'], ['c3', 'error', 'c3.py']]);
  assert.equal(model.children[1].description, 'passed · used by the best trial · score 0.973 · from the llm');
  assert.deepEqual(board.children.map((n) => [n.label, n.description]),
    [['#1 model c2', '0.973 · 3 trials'], ['#2 model c1', 'no score · 1 trial']]);
});

test('a candidate reads like the lens the issue asks for', () => {
  assert.equal(candidateSummary({ name: 'c1', status: 'passed', accepted: true, recipe: 'tabular/model_hgb', score: 0.9731 }),
    'passed · accepted · score 0.973 · recipe tabular/model_hgb');
  assert.equal(candidateSummary({ name: 'c3', status: 'failed', accepted: false, check: 'shape' }), 'failed (shape)');
  assert.deepEqual(programNodes(undefined), []);
});
