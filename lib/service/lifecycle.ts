import type { Logger } from '../logging/logger';

type Closer = () => Promise<unknown>;

/**
 * Runs a service's main: on SIGTERM/SIGINT, closes what it opened in reverse order, then exits.
 * A second signal, or a close that hangs past the grace period, exits at once.
 */
export function runService(name: string, logger: Logger, main: (onClose: (closer: Closer) => void) => Promise<void>): void {
  const closers: Closer[] = [];
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, `${name} stopping`);
    const timer = setTimeout(() => {
      logger.error(`${name} did not stop in time; exiting`);
      process.exit(1);
    }, 10000);
    timer.unref();
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'close failed'));
    }
    logger.info(`${name} stopped`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: String(reason) }, 'unhandled rejection'));
  main((closer) => closers.push(closer)).catch((error: unknown) => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, `${name} failed to start`);
    process.exit(1);
  });
}
