/** `airlock mcp --agent <id>`: MCP over stdio for one agent, relayed to the server's governed `/mcp`. */

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { runStdioBridge } from '../../mcp/stdio-bridge.ts';
import { CliError, type Command, type CommandContext, option, requiredOption } from '../command.ts';

/** --url, else $AIRLOCK_URL, else the server address in airlock.yaml. */
async function serverUrl(context: CommandContext): Promise<URL> {
  const given = option(context, 'url') ?? process.env.AIRLOCK_URL;
  if (given !== undefined) {
    if (!URL.canParse(given) || !/^https?:$/.test(new URL(given).protocol))
      throw new CliError(`--url takes the Airlock server's http(s) URL, not "${given}"`, { exitCode: 2 });
    return new URL(given);
  }
  let text: string;
  try {
    text = await readFile(context.configPath, 'utf8');
  } catch {
    throw new CliError(
      `say where the server is with --url (or $AIRLOCK_URL): no ${context.configPath} to read it from`,
      {
        exitCode: 2,
      },
    );
  }
  const server = (parse(text) as { server?: { host?: unknown; port?: unknown } } | null)?.server ?? {};
  const host = typeof server.host === 'string' ? server.host : '127.0.0.1';
  const port = typeof server.port === 'number' ? server.port : 8080;
  return new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary:
    "Serve MCP over stdio for one agent: every tool call goes through the Airlock server's governance (token from $AIRLOCK_TOKEN)",
  usage: '--agent <id> [--url http://127.0.0.1:8080]',
  options: {
    agent: {
      type: 'string',
      description: 'The agent this MCP client is (its token must be in $AIRLOCK_TOKEN)',
    },
    url: {
      type: 'string',
      description: 'The Airlock server (default: $AIRLOCK_URL, else server.host/port of airlock.yaml)',
    },
  },
  async run(context) {
    const agent = requiredOption(context, 'agent');
    const token = process.env.AIRLOCK_TOKEN;
    if (token === undefined || token === '')
      throw new CliError(`set $AIRLOCK_TOKEN to the token of agent ${agent}`, { exitCode: 2 });
    const url = await serverUrl(context);
    context.err(`airlock mcp: agent ${agent}, relaying stdio to ${new URL('/mcp', url)}`);
    await runStdioBridge({ url, token, agent, log: (line) => context.err(`airlock mcp: ${line}`) });
    return 0;
  },
};
