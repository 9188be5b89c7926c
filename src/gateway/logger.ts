/** Structured JSON logs (pino), written in buffered chunks; secrets in headers never reach them. */

import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** How long a log line may wait in the buffer before it is written. */
const FLUSH_MS = 100;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'airlock', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens are never logged on purpose; these catch a request or its headers logged whole.
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  return pino(options, destination ?? bufferedStdout());
}

let stdout: ReturnType<typeof pino.destination> | null = null;

/**
 * One buffered stdout per process: a write per 4 KiB of lines (or every 100 ms) instead of a
 * system call per line; what is still buffered is written synchronously when the process exits.
 */
function bufferedStdout(): DestinationStream {
  if (stdout === null) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => destination.flush(), FLUSH_MS).unref();
    process.once('exit', () => destination.flushSync());
    stdout = destination;
  }
  return stdout;
}
