/** Time left until a deadline, ticking each second in fixed-width digits so nothing moves. */

import { formatCountdown } from '../lib/format.ts';
import { useNow } from '../lib/use-now.ts';

export function Countdown({ deadline, testId }: { deadline: string; testId?: string }) {
  const now = useNow();
  const left = new Date(deadline).getTime() - now;
  const urgent = left < 5 * 60_000;
  return (
    <span
      className={`countdown num${left <= 0 ? ' countdown-over' : urgent ? ' countdown-urgent' : ''}`}
      title={`deadline ${deadline}`}
      data-testid={testId}
    >
      {left <= 0 ? 'due now' : formatCountdown(left)}
    </span>
  );
}
