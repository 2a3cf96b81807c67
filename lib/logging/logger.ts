import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs, one line per record, with the service name on every line. Known secret-bearing
 * fields are censored here so that no call site has to remember it.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}
