/** `airlock actions review` and `airlock incident report`: evidence people add by hand. */

import type { EvidenceAdded } from '../../gateway/evidence-service.ts';
import { CliError, type Command, option, required, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';

function print(out: (line: string) => void, added: EvidenceAdded, asJson: boolean): void {
  if (asJson) {
    out(json(added));
    return;
  }
  out(`${added.action} (${added.agent}): ${added.kind.replace('_', ' ')}, recorded for ${added.by}`);
  for (const d of added.demotions) {
    out(
      d.suspended
        ? `${d.agentId} suspended (${d.rule})`
        : `${d.agentId} ${d.scope}: level ${d.from} → ${d.to} (${d.rule})`,
    );
  }
}

export const evidenceCommands: readonly Command[] = [
  {
    name: 'actions review',
    summary: 'Agree or disagree with advice an agent gave at level 0 (evidence for its promotion)',
    usage: '<action> agree|disagree [--comment <text>] --as <person>',
    json: true,
    options: { comment: { type: 'string', description: 'Why (kept with the evidence)' }, ...AS_OPTION },
    async run(context) {
      const actionId = required(context, 0, 'action');
      const verdict = required(context, 1, 'agree|disagree');
      if (verdict !== 'agree' && verdict !== 'disagree')
        throw new CliError('the verdict is agree or disagree', { exitCode: 2 });
      const added = await withAirlock(context, (airlock) =>
        airlock.evidence.review(
          actionId,
          verdict,
          option(context, 'comment') ?? null,
          actingPerson(context, airlock),
        ),
      );
      print(context.out, added, context.json);
      return 0;
    },
  },
  {
    name: 'incident report',
    summary: 'Report an incident an action caused: evidence against its scope, and a demotion event',
    usage: '<action> --reason <what happened> --as <person>',
    json: true,
    options: { reason: { type: 'string', description: 'What happened (required)' }, ...AS_OPTION },
    async run(context) {
      const actionId = required(context, 0, 'action');
      const reason = requiredOption(context, 'reason');
      const added = await withAirlock(context, (airlock) =>
        airlock.evidence.reportIncident(actionId, reason, actingPerson(context, airlock)),
      );
      print(context.out, added, context.json);
      return 0;
    },
  },
];
