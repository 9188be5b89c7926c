/** `airlock serve`: the HTTP API on the project's storage, reloading policies on change and on SIGHUP. */

import { buildServer } from '../../api/server.ts';
import { createAirlock } from '../../gateway/airlock.ts';
import { CliError, type Command, type CommandContext, option } from '../command.ts';
import { asCliError } from '../open-airlock.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the HTTP API (reloads policies and catalog on file change and SIGHUP; stops on SIGTERM)',
  usage: '[--port <n>] [--host <addr>]',
  options: {
    port: { type: 'string', description: 'Port to listen on (overrides server.port; 0 picks a free one)' },
    host: { type: 'string', description: 'Address to listen on (overrides server.host)' },
    'log-level': { type: 'string', description: 'trace, debug, info, warn, error (overrides log.level)' },
    'no-watch': { type: 'boolean', description: 'Do not watch files; reload only on SIGHUP' },
  },
  async run(context) {
    const portText = option(context, 'port');
    if (portText !== undefined && !/^\d{1,5}$/.test(portText))
      throw new CliError('--port takes a number', { exitCode: 2 });
    return runServer(context, portText);
  },
};

/** Load, open the store, listen, and run until SIGTERM or SIGINT. */
async function runServer(context: CommandContext, portText: string | undefined): Promise<number> {
  const logLevel = option(context, 'log-level');
  const airlock = await createAirlock({
    configPath: context.configPath,
    ...(logLevel === undefined ? {} : { logLevel }),
  }).catch((error: unknown) => {
    throw asCliError(error);
  });
  const { config } = airlock.project();
  // The console is served from the package's web/dist unless $AIRLOCK_CONSOLE_DIR names another build.
  const consoleDir = process.env.AIRLOCK_CONSOLE_DIR;
  const app = buildServer(airlock, { consoleDir: consoleDir === '' ? undefined : consoleDir });
  const host = option(context, 'host') ?? config.server.host;
  const port = portText === undefined ? config.server.port : Number(portText);

  await airlock.recordPolicyInForce('startup');
  // Overdue approvals are resolved before the port opens: nobody can vote on a timed-out step.
  await airlock.startBackground();
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (error) {
    await airlock.close();
    throw new CliError(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  if (config.policy.watch && context.values['no-watch'] !== true) airlock.holder.watch();
  airlock.logger.info(
    { event: 'server.started', address, bundle: airlock.project().bundle.hash, storage: airlock.store.kind },
    `Airlock listening on ${address}`,
  );

  const onHup = () => void airlock.holder.reload('signal');
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      airlock.logger.info(
        { event: 'server.stopping', signal },
        'shutting down: finishing requests in flight',
      );
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', onHup);
      void app
        .close()
        .then(() => airlock.close())
        .then(() => {
          airlock.logger.info({ event: 'server.stopped' }, 'stopped');
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
