/** How the guided demo talks: narrated lines on one stream, a little colour on a terminal, pauses. */

import { setTimeout as sleep } from 'node:timers/promises';
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Narrator {
  /** A numbered chapter of the story. */
  chapter(title: string, subtitle: string): void;
  /** A plain line, indented under the chapter. */
  say(text: string): void;
  /** What the agent does. */
  agent(text: string): void;
  /** What Airlock answers. */
  airlock(text: string): void;
  /** What a person (or the script acting as one) does. */
  person(text: string): void;
  /** A detail under the previous line. */
  detail(text: string): void;
  /** Something to look at or do now. */
  callout(text: string): void;
  /** An unindented line, for banners and the summary. */
  raw(text?: string): void;
  style(style: Style, text: string): string;
  /** A pause for the human watching; none with `--fast`. Rejects when `signal` aborts. */
  pause(ms: number): Promise<void>;
}

export function createNarrator(
  stream: NodeJS.WriteStream,
  options: { fast: boolean; signal: AbortSignal },
): Narrator {
  const style = (format: Style, text: string) => styleText(format, text, { stream, validateStream: true });
  const write = (text: string) => void stream.write(`${text}\n`);
  let chapters = 0;
  return {
    chapter(title, subtitle) {
      chapters += 1;
      write('');
      write(style(['bold', 'cyan'], `── ${chapters}. ${title} `.padEnd(78, '─')));
      write(style('dim', `   ${subtitle}`));
    },
    say: (text) => write(`   ${text}`),
    agent: (text) => write(`   ${style('yellow', 'agent   ▸')} ${text}`),
    airlock: (text) => write(`   ${style('cyan', 'airlock ◂')} ${text}`),
    person: (text) => write(`   ${style('magenta', 'person  ●')} ${text}`),
    detail: (text) => write(`             ${style('dim', text)}`),
    callout: (text) => write(`   ${style(['bold', 'green'], '▶')} ${style('bold', text)}`),
    raw: (text = '') => write(text),
    style,
    pause: (ms) => (options.fast ? Promise.resolve() : sleep(ms, undefined, { signal: options.signal })),
  };
}
