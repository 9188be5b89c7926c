import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ceilingFor, trustSettingsSchema } from './trust-settings.ts';

test('an agent without a ceiling of its own gets the default, whatever its id', () => {
  const settings = trustSettingsSchema.parse({ ceilings: { 'experimental-bot': 1 }, defaultCeiling: 2 });
  assert.equal(ceilingFor(settings, 'experimental-bot'), 1);
  assert.equal(ceilingFor(settings, 'triage-bot'), 2);
  for (const id of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
    assert.equal(ceilingFor(settings, id), 2, id);
});
