/** How many decisions moved from one effect to another: shared by the shadow and replay reports. */

import { EffectBadge } from './badges.tsx';

export interface Transition {
  readonly from: string;
  readonly to: string;
  readonly change: string;
  readonly decisions: number;
}

export function TransitionTable({
  caption,
  fromLabel,
  toLabel,
  rows,
}: {
  caption: string;
  fromLabel: string;
  toLabel: string;
  rows: readonly Transition[];
}) {
  return (
    <div className="table-wrap">
      <table className="table table-compact">
        <caption className="caption">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{fromLabel}</th>
            <th scope="col">{toLabel}</th>
            <th scope="col">Change</th>
            <th scope="col" className="num-col">
              Decisions
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={`${t.from}-${t.to}`}>
              <td>
                <EffectBadge effect={t.from} />
              </td>
              <td>
                <EffectBadge effect={t.to} />
              </td>
              <td>{t.change}</td>
              <td className="num num-col">{t.decisions}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
