/** Audit export: a full export verifies offline against the database's head, a partial one as a segment; edits in either are named. */

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ActivityChain, cli, type Report, useActivityChain } from './audit-helpers.ts';
import { type Harness, restart, startHarness } from './harness.ts';

describe('audit chain: tamper evidence (invariant 9)', () => {
  let total: number;
  let headHash: string;
  let copyChain: ActivityChain['copyChain'];
  useActivityChain((chain) => {
    ({ total, headHash, copyChain } = chain);
  });

  it('an exported file verifies offline with the database’s head; an edited line is named', async () => {
    const copy = await copyChain();
    const file = path.join(copy.dir, 'export.jsonl');
    const exported = await cli(['audit', 'export', '--config', copy.configPath, '--out', file]);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    assert.deepEqual(exported.out, []);
    assert.deepEqual(exported.err, [`exported ${total} events to ${file}`]);

    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    assert.equal(lines.length, total);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { seq: number }).seq),
      Array.from({ length: total }, (_, index) => index + 1),
    );

    const verified = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(verified.code, 0, verified.err.join('\n'));
    const report = JSON.parse(verified.out.join('\n')) as Report;
    assert.deepEqual(report, { ok: true, events: total, head: headHash, firstBad: null, problem: null });

    const anchored = await cli(['audit', 'verify', '--file', file, '--anchor', headHash, '--json']);
    assert.equal(anchored.code, 0);

    const target = Math.floor(total / 2);
    const event = JSON.parse(lines[target - 1] ?? '') as { data: Record<string, unknown> };
    event.data = { ...event.data, forged: true };
    lines[target - 1] = JSON.stringify(event);
    await writeFile(file, `${lines.join('\n')}\n`);

    const broken = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(broken.code, 1);
    const brokenReport = JSON.parse(broken.out.join('\n')) as Report;
    assert.equal(brokenReport.ok, false);
    assert.equal(brokenReport.firstBad, target);
    assert.match(brokenReport.problem ?? '', new RegExp(`event ${target} does not match its hash`));

    const text = await cli(['audit', 'verify', '--file', file]);
    assert.equal(text.code, 1);
    assert.match(text.err[0] ?? '', new RegExp(`^airlock: audit chain broken at event ${target}: `));
  });
});

describe('a partial export (--after) verifies as a segment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const token = await h.agent('segment-bot');
    for (let i = 0; i < 4; i++)
      await h.propose(token, restart({ params: { reason: `restart number ${i}` } }));
  });
  after(() => h.close());

  it('verifies from the first exported event on, and still catches an edit inside the segment', async () => {
    const file = path.join(h.dir, 'segment.jsonl');
    const exported = await cli(['audit', 'export', '--after', '3', '--out', file, '--config', h.configPath]);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    const ok = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(ok.code, 0, ok.err.join('\n'));
    assert.equal(JSON.parse(ok.out.join('\n')).ok, true);
    assert.match(
      ok.err[0] ?? '',
      /^verifying a segment from event 4; its link to event 3 \([0-9a-f]{64}\) is taken as given$/,
    );

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    lines[2] = (lines[2] ?? '').replace('"kind":"', '"kind":"edited.');
    await writeFile(file, `${lines.join('\n')}\n`);
    const bad = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.out.join('\n')).firstBad, 6);
  });
});
