/** The `airlock` command line: `airlock <noun> <verb> [args] [--options]`. */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, type Command, type CommandContext, type OptionSpec } from './command.ts';
import { actionsCommands } from './commands/actions.ts';
import { agentsCommands } from './commands/agents.ts';
import { approvalsCommands } from './commands/approvals.ts';
import { auditCommands } from './commands/audit.ts';
import { evidenceCommands } from './commands/evidence.ts';
import { freezeCommands } from './commands/freeze.ts';
import { initCommand } from './commands/init.ts';
import { mcpCommand } from './commands/mcp.ts';
import { migrateCommand } from './commands/migrate.ts';
import { peopleCommands } from './commands/people.ts';
import { policyCommands } from './commands/policy.ts';
import { policyShadowCommands } from './commands/policy-shadow.ts';
import { replayCommand } from './commands/replay.ts';
import { replayIncidentCommand } from './commands/replay-incident.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { exportCommand, importCommand } from './commands/transfer.ts';
import { trustCommands } from './commands/trust.ts';

export const COMMANDS: readonly Command[] = [
  initCommand,
  serveCommand,
  migrateCommand,
  exportCommand,
  importCommand,
  ...policyCommands,
  ...policyShadowCommands,
  ...agentsCommands,
  ...peopleCommands,
  ...trustCommands,
  ...freezeCommands,
  ...actionsCommands,
  ...evidenceCommands,
  ...approvalsCommands,
  ...auditCommands,
  replayCommand,
  replayIncidentCommand,
  simulateCommand,
  mcpCommand,
];

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: {
    type: 'string',
    short: 'c',
    description: 'Project file (default: $AIRLOCK_CONFIG, else ./airlock.yaml)',
  },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
};
const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'Print data as JSON' };

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function version(): string {
  const pkg = path.resolve(import.meta.dirname, '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function findCommand(words: readonly string[]): { command: Command; rest: string[] } | null {
  for (const length of [3, 2, 1]) {
    const name = words.slice(0, length).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command !== undefined) return { command, rest: words.slice(length) };
  }
  return null;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(30)} ${spec.description}`;
  });
}

function commandHelp(command: Command): string {
  const options = {
    ...(command.options ?? {}),
    ...(command.json === true ? { json: JSON_OPTION } : {}),
    ...GLOBAL_OPTIONS,
  };
  return [
    `usage: airlock ${command.name} ${command.usage}`.trimEnd(),
    '',
    command.summary,
    '',
    ...(command.help === undefined ? [] : [...command.help, '']),
    'options:',
    ...optionLines(options),
  ].join('\n');
}

function overview(prefix?: string): string {
  const shown = COMMANDS.filter((c) => prefix === undefined || c.name.startsWith(`${prefix} `));
  const width = Math.max(...shown.map((c) => c.name.length));
  return [
    'usage: airlock <command> [arguments] [options]',
    '',
    'Airlock governs what AI agents may do in production: policy-as-code, earned trust levels,',
    'human approvals and a tamper-evident audit chain.',
    '',
    'commands:',
    ...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `airlock <command> --help` for its options. Every data command takes --json.',
  ].join('\n');
}

/** Run the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return 0;
  }
  if (argv[0] === '--version') {
    io.out(version());
    return 0;
  }
  const found = findCommand(argv);
  if (found === null) {
    const noun = argv[0] ?? '';
    if (COMMANDS.some((c) => c.name.startsWith(`${noun} `))) {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.out(overview(noun));
        return 0;
      }
      io.err(`airlock: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${overview(noun)}`);
    } else {
      io.err(`airlock: unknown command "${noun}" (see airlock --help)`);
    }
    return 2;
  }
  const { command, rest } = found;
  const options = {
    ...(command.options ?? {}),
    ...GLOBAL_OPTIONS,
    ...(command.json === true ? { json: JSON_OPTION } : {}),
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`airlock: ${(error as Error).message.split('\n')[0]} (see airlock ${command.name} --help)`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.out(commandHelp(command));
    return 0;
  }
  const configOption = parsed.values.config;
  const context: CommandContext = {
    positionals: parsed.positionals,
    values: parsed.values as CommandContext['values'],
    json: parsed.values.json === true,
    configPath:
      typeof configOption === 'string' ? configOption : (process.env.AIRLOCK_CONFIG ?? 'airlock.yaml'),
    out: io.out,
    err: io.err,
  };
  try {
    return (await command.run(context)) ?? 0;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`airlock: ${error.message}`);
      for (const line of error.lines) io.err(`  ${line}`);
      return error.exitCode;
    }
    io.err(`airlock: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
