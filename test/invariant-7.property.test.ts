/** Invariant 7 (fast-check): a corrupted policy or catalog file never replaces the project in force. */

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { AgentRecord } from '../src/store/records.ts';
import { type Harness, restart, startHarness } from './harness.ts';

const FILES = ['policies/routine.yaml', 'policies/guardrails.yaml', 'catalog.yaml', 'routes.yaml'];

/** Edits a person might make by mistake, and a few that are fine. */
const corruption = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ':',
      '- ',
      '{',
      '"',
      '\t',
      'effect: maybe',
      '  when: request.',
      ' &&',
      '\n  - name: x\n',
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    from: fc.constantFrom(
      'allow',
      'escalate',
      'deny',
      'low',
      'medium',
      'size(',
      'request.params',
      'reason:',
      'types:',
    ),
    to: fc.constantFrom('permit', '', 'request.parms', 'size(size(', 'extreme', 'reasons:', '42'),
  }),
);

type Corruption = typeof corruption extends fc.Arbitrary<infer T> ? T : never;

function corrupt(text: string, c: Corruption): string {
  switch (c.kind) {
    case 'insert': {
      const at = c.at % (text.length + 1);
      return text.slice(0, at) + c.text + text.slice(at);
    }
    case 'delete': {
      const at = c.at % Math.max(1, text.length);
      return text.slice(0, at) + text.slice(at + c.length);
    }
    case 'replace':
      return text.replace(c.from, c.to);
    default: {
      const never: never = c;
      return never;
    }
  }
}

describe('invariant 7: a bad bundle or catalog never replaces a good one', () => {
  let h: Harness;
  let agent: AgentRecord;
  const originals = new Map<string, string>();

  before(async () => {
    h = await startHarness();
    await h.agent('triage-bot');
    await h.grant('triage-bot', 'service.restart@staging', 2);
    agent = await h.airlock.agents.get('triage-bot');
    for (const file of FILES) originals.set(file, await readFile(path.join(h.dir, file), 'utf8'));
  });
  after(() => h.close());

  it('after any corruption, either the new project is whole and in force, or the old one still decides', async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILES), corruption, async (file, c) => {
        for (const [name, text] of originals) await writeFile(path.join(h.dir, name), text);
        assert.equal((await h.airlock.holder.reload('command')).ok, true);
        const good = h.airlock.holder.current;
        const before = await h.airlock.proposals.propose(agent, restart());

        await writeFile(path.join(h.dir, file), corrupt(originals.get(file) ?? '', c));
        const result = await h.airlock.holder.reload('command');
        const after = await h.airlock.proposals.propose(agent, restart());

        if (result.ok) {
          assert.equal(h.airlock.holder.current, result.project);
          assert.equal(after.action.decision.policyVersion, result.project.bundle.hash);
          return;
        }
        rejected += 1;
        assert.equal(h.airlock.holder.current, good, 'the project in force is unchanged');
        assert.equal(after.action.decision.policyVersion, before.action.decision.policyVersion);
        assert.equal(after.action.decision.effect, before.action.decision.effect);
        for (const problem of result.problems) {
          assert.ok(problem.file.endsWith(file) || problem.file.endsWith('.yaml'), problem.file);
          assert.ok(problem.line === null || problem.line >= 1);
        }
        // A catalog or routes file that still parses but renamed a type or a route shows up where
        // the name is used: in the policies.
        assert.ok(
          result.problems.some(
            (p) =>
              p.file.endsWith(file) ||
              (file === 'catalog.yaml' && p.message.includes('matches no action type in the catalog')) ||
              (file === 'routes.yaml' && p.message.includes('unknown route')),
          ),
          `a problem names ${file}: ${JSON.stringify(result.problems)}`,
        );
      }),
      { numRuns: 60 },
    );
    assert.ok(rejected >= 20, `only ${rejected} corruptions were rejected; the property is too weak`);
  });
});
