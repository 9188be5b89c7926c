import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, restart, startHarness } from './harness.ts';

describe('harness smoke', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('an agent at level 2 in staging gets a low-tier restart cleared for execution', async () => {
    const token = await h.agent('triage-bot');
    await h.grant('triage-bot', 'service.restart@staging', 2);
    const response = await h.propose(token, restart());
    assert.equal(response.status, 201);
    assert.equal(response.body.decision.effect, 'execute');
    assert.equal(response.body.status, 'approved');
  });
});
