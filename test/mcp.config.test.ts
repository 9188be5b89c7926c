/** The `mcp` section of airlock.yaml is validated like the rest: what is wrong, and on which line. */

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { loadProject } from '../src/project/project-loader.ts';
import { makeProject } from './harness.ts';

/** Load the quickstart with `section` appended to airlock.yaml; the problems, or the mcp config. */
async function loadWith(section: string) {
  const { dir, configPath } = await makeProject({ 'airlock.yaml': (original) => `${original}${section}` });
  try {
    return { loaded: await loadProject(configPath, {}), text: await readFile(configPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('mcp config', () => {
  it('defaults: no servers, a minute of approval wait, no extra origins', async () => {
    const { loaded } = await loadWith('');
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value.config.mcp.servers, {});
    assert.equal(loaded.value.config.mcp.approvalWait, 60_000);
    assert.deepEqual(loaded.value.config.mcp.allowedOrigins, []);
  });

  for (const [name, section, needle, message] of [
    [
      'an origin with a path',
      '\nmcp:\n  allowedOrigins: ["https://agents.example.com/app"]\n',
      'allowedOrigins',
      /scheme, host and port only/,
    ],
    [
      'a server name in capitals',
      '\nmcp:\n  servers:\n    FS: { command: npx }\n',
      'FS:',
      /lower-case words/,
    ],
    ['a server with neither command nor url', '\nmcp:\n  servers:\n    fs: { args: [a] }\n', 'fs:', /./],
    ['a wait that is not a duration', '\nmcp:\n  approvalWait: soon\n', 'approvalWait', /duration/],
  ] as const) {
    it(`${name} is refused, naming the line`, async () => {
      const { loaded, text } = await loadWith(section);
      assert.equal(loaded.ok, false);
      assert.ok(!loaded.ok);
      const line = lineOf(text, needle);
      const problem = loaded.problems.find((p) => p.file.endsWith('airlock.yaml') && p.line === line);
      assert.ok(problem, `a problem on airlock.yaml:${line}: ${JSON.stringify(loaded.problems)}`);
      assert.match(problem.message, message);
    });
  }
});
