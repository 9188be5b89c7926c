/** The `airlock` command line: --help output and usage errors (exit 2, one-line reasons). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFails, cli, useCliProject } from './cli-helpers.ts';

const EXPECTED_COMMANDS = [
  'init',
  'serve',
  'migrate',
  'export',
  'import',
  'policy check',
  'policy test',
  'policy shadow report',
  'policy shadow promote',
  'agents add',
  'agents list',
  'agents token',
  'agents revoke-token',
  'agents suspend',
  'agents resume',
  'people list',
  'people token',
  'people revoke-token',
  'trust show',
  'trust recommend',
  'trust set',
  'trust promote',
  'trust demote',
  'trust revoke',
  'actions list',
  'actions review',
  'incident report',
  'explain',
  'audit verify',
  'audit head',
  'audit export',
  'simulate',
  'replay',
  'replay incident',
];

describe('airlock CLI', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
  });

  describe('help and usage errors', () => {
    it('--help lists every command with its summary', async () => {
      const run = await cli('--help');
      assert.equal(run.code, 0);
      assert.deepEqual(run.err, []);
      assert.equal(run.out[0], 'usage: airlock <command> [arguments] [options]');
      for (const name of EXPECTED_COMMANDS) {
        assert.ok(
          run.out.some((line) => new RegExp(`^  ${name.replace('.', '\\.')} +\\S`).test(line)),
          `--help lists ${name}`,
        );
      }
      const noArgs = await cli();
      assert.equal(noArgs.code, 0);
      assert.deepEqual(noArgs.out, run.out);
    });

    it('agents --help lists only the agents verbs', async () => {
      const run = await cli('agents', '--help');
      assert.equal(run.code, 0);
      const listed = run.out
        .filter((line) => /^ {2}\S/.test(line))
        .map((line) => line.trim().split(/ {2,}/)[0]);
      assert.deepEqual(listed.sort(), EXPECTED_COMMANDS.filter((c) => c.startsWith('agents ')).sort());
    });

    it('agents add --help shows usage and options', async () => {
      const run = await cli('agents', 'add', '--help');
      assert.equal(run.code, 0);
      assert.equal(run.out[0], 'usage: airlock agents add <id> --owner <group>');
      const text = run.out.join('\n');
      for (const flag of [
        '--owner <value>',
        '--description <value>',
        '--as <value>',
        '--json',
        '-c, --config <value>',
        '-h, --help',
      ]) {
        assert.ok(text.includes(flag), `help shows ${flag}`);
      }
    });

    it('an unknown command exits 2 with a one-line reason', async () => {
      const run = await cli('frobnicate');
      assertFails(run, 2, 'airlock: unknown command "frobnicate" (see airlock --help)');
      assert.equal(run.err.length, 1);
    });

    it('an unknown verb of a known noun exits 2 and names it', async () => {
      const run = await cli('agents', 'frob');
      assertFails(run, 2, 'airlock: unknown command "agents frob"');
    });

    it('an unknown option exits 2 with a one-line reason', async () => {
      const run = await cli('agents', 'list', '--frob', '--config', cfg);
      assertFails(run, 2, /^airlock: Unknown option '--frob'.*\(see airlock agents list --help\)$/);
      assert.equal(run.err.length, 1);
    });

    it('a missing required option exits 2', async () => {
      assertFails(await cli('agents', 'add', 'nobody', '--config', cfg), 2, 'airlock: missing --owner');
      assertFails(await cli('agents', 'add', '--owner', 'sre', '--config', cfg), 2, 'airlock: missing <id>');
    });
  });
});
