/**
 * `npm run build:sdk` emits the SDK as JavaScript with declarations (Node does not strip types
 * under node_modules); the built index.js loads on its own, with no server code or zod at runtime,
 * and talks to a real Airlock.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Harness, startHarness } from './harness.ts';

const REPO = path.resolve(import.meta.dirname, '..');
type Sdk = typeof import('../src/sdk/index.ts');

describe('npm run build:sdk', () => {
  let out: string;
  let h: Harness;

  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'airlock-sdk-build-'));
    await promisify(execFile)('npm', ['run', '--silent', 'build:sdk', '--', '--outDir', out], { cwd: REPO });
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
    await rm(out, { recursive: true, force: true });
  });

  it('emits index.js and index.d.ts; the JavaScript imports nothing outside the SDK', async () => {
    assert.match(await readFile(path.join(out, 'sdk', 'index.d.ts'), 'utf8'), /AirlockClient/);
    const specifiers: string[] = [];
    for (const file of [
      'index',
      'client',
      'guard',
      'http',
      'wait-loop',
      'api-errors',
      'errors',
      'guard-errors',
    ]) {
      const js = await readFile(path.join(out, 'sdk', `${file}.js`), 'utf8');
      specifiers.push(...[...js.matchAll(/^(?:import|export) .* from "([^"]+)";$/gm)].map((m) => m[1] ?? ''));
    }
    assert.ok(specifiers.includes('./client.js'));
    assert.deepEqual(
      specifiers.filter((s) => !/^\.\/[\w-]+\.js$/.test(s)),
      [],
      'only files of the SDK itself',
    );
  });

  it('the built index.js proposes to a real Airlock and throws its typed errors', async () => {
    const sdk = (await import(pathToFileURL(path.join(out, 'sdk', 'index.js')).href)) as Sdk;
    const client = new sdk.AirlockClient({ url: h.url, token: await h.agent('built-bot') });
    const action = await client.propose({
      type: 'cache.flush',
      environment: 'staging',
      targets: [{ id: 'redis-1' }],
      params: { keyPattern: '*' },
    });
    assert.equal(action.status, 'advised');
    await assert.rejects(client.get('act_nope'), sdk.NotFoundError);
  });
});
