/** Action ids sort in creation order, within a millisecond and when the clock steps back. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from './ids.ts';

describe('newId', () => {
  it('sorts in creation order when many are made in the same millisecond', () => {
    const at = new Date('2026-11-24T10:00:00.000Z');
    const ids = Array.from({ length: 1000 }, () => newId('act', at));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keeps sorting when the clock steps back', () => {
    const first = newId('act', new Date('2026-11-24T10:00:01.000Z'));
    const second = newId('act', new Date('2026-11-24T10:00:00.000Z'));
    assert.ok(second > first);
  });

  it('has a fixed shape', () => {
    assert.match(newId('act', new Date()), /^act_[0-9a-hjkmnp-tv-z]{26}$/);
  });
});
