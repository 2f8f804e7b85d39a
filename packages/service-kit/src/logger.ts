import pino from 'pino';
import { currentRequestId } from './request-context';
import { activeTraceIds } from './trace-context';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(options: {
  service: string;
  level?: LogLevel;
  /** Where lines go; stdout unless a test wants to read them. */
  destination?: pino.DestinationStream;
}): Logger {
  // Synchronous writes: a line logged just before process.exit (the last shutdown steps, a fatal
  // start-up error) is never lost or reordered, at a cost that only matters far above our volume.
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const requestId = currentRequestId();
        return { ...(requestId ? { requestId } : {}), ...activeTraceIds() };
      },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
