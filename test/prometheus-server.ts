/**
 * A real Prometheus for tests: the installed binary, with a temporary config scraping the given
 * targets every second, its data in a temp directory and its log in a file there (printed if it
 * fails to start). Tests skip themselves where `prometheusAvailable()` is false.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PrometheusServer {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Resolves once `query` returns at least one series; rejects after `timeoutMs` (15 s by default). */
  waitForSeries(query: string, timeoutMs?: number): Promise<void>;
  /** Stop Prometheus and remove its directory. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Scrape jobs: `hosts` as `host:port`, scraped at `/metrics` every second. */
  readonly targets: readonly { readonly job: string; readonly hosts: readonly string[] }[];
  /** Also scrape Prometheus itself as job `prometheus` (so `up{job="prometheus"}` exists); default true. */
  readonly selfScrape?: boolean;
}

const CANDIDATES = [
  '/usr/bin/prometheus',
  ...(process.env.PATH ?? '').split(':').map((d) => `${d}/prometheus`),
];
const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/** The Prometheus binary, or null if none is installed. */
function binary(): string | null {
  for (const candidate of CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return null;
}

/** False only off CI: on CI (`CI=true`) Prometheus must be installed, and its tests never skip. */
export function prometheusAvailable(): boolean {
  return binary() !== null || process.env.CI === 'true';
}

/**
 * Start Prometheus on a free port of 127.0.0.1 and wait until it is ready. Another process may
 * take the port between our probe and Prometheus binding it; then it is started again.
 *
 * @example
 * const prometheus = await startPrometheus({ targets: [{ job: 'app', hosts: ['127.0.0.1:9100'] }] });
 * await prometheus.waitForSeries('up{job="app"} == 1');
 * // … query prometheus.url …
 * await prometheus.stop();
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const bin = binary();
  if (bin === null) throw new Error('prometheus is not installed (apt-get install prometheus)');
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-prometheus-'));
    try {
      return await startIn(bin, dir, options);
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function startIn(bin: string, dir: string, options: PrometheusOptions): Promise<PrometheusServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const configFile = path.join(dir, 'prometheus.yml');
  const logFile = path.join(dir, 'prometheus.log');
  await writeFile(configFile, JSON.stringify(config(address, options), null, 2));
  const log = openSync(logFile, 'a');
  const child = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${address}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve(`prometheus exited (${signal ?? code}) before it was ready`),
    );
    child.once('error', (error) => resolve(`prometheus did not start: ${error.message}`));
  });
  const ready = await Promise.race([waitUntilReady(url), exited]);
  if (ready !== true) {
    await kill(child);
    throw new Error(`${ready}\n--- ${logFile} ---\n${await readFile(logFile, 'utf8').catch(() => '')}`);
  }
  return {
    url,
    waitForSeries: (query, timeoutMs = 15_000) => waitForSeries(url, query, timeoutMs),
    async stop() {
      await kill(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Prometheus reads YAML, and JSON is YAML. */
function config(self: string, options: PrometheusOptions) {
  const jobs = [
    ...(options.selfScrape === false ? [] : [{ job: 'prometheus', hosts: [self] }]),
    ...options.targets,
  ];
  return {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: jobs.map(({ job, hosts }) => ({ job_name: job, static_configs: [{ targets: hosts }] })),
  };
}

/** A port that was free a moment ago: bind port 0, note what the kernel gave, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string): Promise<true | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/-/ready`).catch(() => null);
    await response?.body?.cancel();
    if (response?.status === 200) return true;
    await sleep(100);
  }
  return `prometheus was not ready within ${READY_TIMEOUT_MS} ms`;
}

async function waitForSeries(url: string, query: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`).catch(
      (error: Error) => error,
    );
    if (response instanceof Response) {
      last = await response.text();
      if (seriesIn(last) > 0) return;
    } else {
      last = response.message;
    }
    await sleep(200);
  }
  throw new Error(`no series for ${query} within ${timeoutMs} ms; last answer: ${last}`);
}

function seriesIn(answer: string): number {
  try {
    const result = (JSON.parse(answer) as { data?: { result?: unknown } }).data?.result;
    return Array.isArray(result) ? result.length : 0;
  } catch {
    return 0;
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
