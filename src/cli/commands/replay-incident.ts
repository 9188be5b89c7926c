/** `airlock replay incident <id>`: a recorded incident replayed against a candidate agent, executing nothing. */

import { parseDuration } from '../../config/durations.ts';
import { IncidentReplayError, replayIncident } from '../../replay/incident-replay.ts';
import { CliError, type Command, type CommandContext, option, required, requiredOption } from '../command.ts';
import { incidentReplayText } from '../incident-replay-format.ts';
import { withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 10 * 60_000;

function agentUrl(context: CommandContext): URL {
  const text = requiredOption(context, 'agent-url');
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new CliError(`--agent-url takes an http(s) URL, not "${text}"`, { exitCode: 2 });
  return url;
}

function timeout(context: CommandContext): number {
  const text = option(context, 'timeout');
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = parseDuration(text);
  if (ms === null || ms < 1 || ms > MAX_TIMEOUT_MS)
    throw new CliError(`--timeout takes a duration from 1ms to 10m such as 30s, not "${text}"`, {
      exitCode: 2,
    });
  return ms;
}

export const replayIncidentCommand: Command = {
  name: 'replay incident',
  summary:
    "Send an incident's recorded alerts and context, step by step, to a candidate agent; decide what it proposes under the current policies and trust (nothing is executed or recorded) and show it beside the original run",
  usage: '<incident-id> --agent-url <url> [--as-agent <id>] [--timeout 30s]',
  json: true,
  options: {
    'agent-url': {
      type: 'string',
      description: 'Where the candidate agent takes incident replay protocol v1 requests (POST, JSON)',
    },
    'as-agent': {
      type: 'string',
      description: "Decide with this registered agent's trust (default: each step's original agent)",
    },
    timeout: { type: 'string', description: 'How long to wait for each answer (default 30s)' },
  },
  async run(context) {
    const incident = required(context, 0, 'incident-id');
    const url = agentUrl(context);
    const timeoutMs = timeout(context);
    const asAgent = option(context, 'as-agent');
    const report = await withAirlock(context, async (airlock) => {
      try {
        return await replayIncident(airlock, {
          incident,
          agentUrl: url,
          asAgent,
          timeoutMs,
          onProgress: (line) => context.err(line),
        });
      } catch (error) {
        if (error instanceof IncidentReplayError) throw new CliError(error.message);
        throw error;
      }
    });
    if (context.json) context.out(json(report));
    else for (const line of incidentReplayText(report)) context.out(line);
    return 0;
  },
};
