/**
 * Real `airlock serve` processes for tests: start one on a project, read its JSON log lines, call
 * its API, follow its server-sent events, and make sure none outlives the test file.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import type { Loose } from './harness.ts';
import { until } from './policy-reload-helpers.ts';

export const BIN = path.resolve(import.meta.dirname, '../bin/airlock');

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const running = new Set<ChildProcess>();
after(() => killAll());

/** SIGKILL every server still running (a file's `after` calls it before removing their project). */
export async function killAll(): Promise<void> {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
  running.clear();
}

/** Start `airlock serve` on a free port (extra `args` after the defaults) and wait until it listens. */
export async function serve(configPath: string, args: readonly string[] = []): Promise<Server> {
  const child = spawn(
    BIN,
    ['serve', '--config', configPath, '--port', '0', '--no-watch', '--log-level', 'info', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {}
  });
  const started = await until(
    'server.started',
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr.join('')}`);
      return lines.find((l) => l.event === 'server.started');
    },
    30_000,
  );
  return { child, url: String(started.address), lines, exited };
}

/** Stop a server with `signal` and wait until it has exited; its exit code and signal. */
export async function stop(
  server: Server,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<[number | null, NodeJS.Signals | null]> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  return server.exited;
}

/** Call the server's API with a bearer token; the body is parsed as JSON. */
export async function call(server: Server, method: string, route: string, token: string, body?: unknown) {
  const response = await fetch(server.url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as Loose, text };
}

export interface SseEvent {
  readonly id: number;
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: the event data is checked field by field
  readonly data: any;
}

/** A server-sent event stream, read in the test's own pace. */
export class EventStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  readonly #abort = new AbortController();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #buffer = '';
  readonly #decoder = new TextDecoder();

  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
      signal: stream.#abort.signal,
    });
    assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(response.body !== null);
    stream.#reader = response.body.getReader();
    // The server writes a comment once it follows the chain: only then are later events sure to arrive.
    await stream.readUntil('the stream to start', (s) => s.comments.length > 0);
    return stream;
  }

  /** Read until `done` holds; fails (instead of hanging) after `ms`. */
  async readUntil(what: string, done: (stream: EventStream) => boolean, ms = 20_000): Promise<void> {
    const reader = this.#reader;
    assert.ok(reader !== null);
    const deadline = Date.now() + ms;
    while (!done(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events)}`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      const chunk = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`the stream ended while waiting for ${what}`);
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      this.#parse();
    }
  }

  close(): void {
    this.#abort.abort();
  }

  #parse(): void {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end < 0) return;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
        }
      }
      const data = fields.get('data');
      if (data !== undefined) {
        this.events.push({
          id: Number(fields.get('id')),
          event: fields.get('event') ?? '',
          data: JSON.parse(data),
        });
      }
    }
  }
}
