/**
 * A reliability diagram from a scope's calibration table: per confidence bin, the rate observed
 * against the confidence stated (the diagonal is perfect calibration), with each bin's count.
 */

import { useId } from 'react';
import type { CalibrationBin } from '../api/trust-types.ts';
import { formatNumber, formatPercent } from '../lib/format.ts';

const W = 300;
const H = 250;
const M = { top: 12, right: 12, bottom: 52, left: 40 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const x = (v: number) => M.left + v * PW;
const y = (v: number) => M.top + (1 - v) * PH;

export function ReliabilityDiagram(props: {
  table: readonly CalibrationBin[];
  n: number;
  ece: number | null;
  testId?: string;
}) {
  const { table, n, ece, testId } = props;
  const id = useId();
  const filled = table.filter((b) => b.count > 0 && b.observedRate !== null);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const summary =
    filled.length === 0
      ? 'No outcomes with a stated confidence yet.'
      : filled
          .map(
            (b) =>
              `${formatNumber(b.from, 1)}–${formatNumber(b.to, 1)}: ${formatPercent(b.observedRate)} of ${b.count}`,
          )
          .join('; ');
  return (
    <figure className="diagram" data-testid={testId}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} className="diagram-svg">
        <title id={`${id}-t`}>Reliability diagram: stated confidence against observed success rate</title>
        <desc id={`${id}-d`}>{summary}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line className="grid" x1={x(0)} x2={x(1)} y1={y(t)} y2={y(t)} />
            <line className="grid" x1={x(t)} x2={x(t)} y1={y(0)} y2={y(1)} />
            <text className="tick" x={M.left - 6} y={y(t) + 3} textAnchor="end">
              {t}
            </text>
            <text className="tick" x={x(t)} y={y(0) + 12} textAnchor="middle">
              {t}
            </text>
          </g>
        ))}
        <line className="diagonal" x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} />
        {table.map((b) => (
          <g key={b.bin} data-bin={b.bin} data-count={b.count}>
            {b.observedRate !== null && b.count > 0 && (
              <rect
                className="bar"
                x={x(b.from) + 1}
                width={Math.max(0, x(b.to) - x(b.from) - 2)}
                y={y(b.observedRate)}
                height={y(0) - y(b.observedRate)}
              />
            )}
            {b.observedRate !== null && b.meanConfidence !== null && b.count > 0 && (
              <circle className="point" cx={x(b.meanConfidence)} cy={y(b.observedRate)} r={3} />
            )}
            <text
              className={`count num${b.count === 0 ? ' count-zero' : ''}`}
              x={(x(b.from) + x(b.to)) / 2}
              y={y(0) + 26}
              textAnchor="middle"
            >
              {b.count}
            </text>
          </g>
        ))}
        <text className="axis" x={x(0.5)} y={H - 8} textAnchor="middle">
          stated confidence (count per bin above)
        </text>
        <text className="axis" transform={`translate(11 ${y(0.5)}) rotate(-90)`} textAnchor="middle">
          observed rate
        </text>
      </svg>
      <figcaption className="muted num">
        {n} outcomes · ECE {formatNumber(ece, 3)}
      </figcaption>
    </figure>
  );
}
