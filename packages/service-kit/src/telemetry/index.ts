import { onTelemetryStop } from './lifecycle';
import type * as Tracing from './tracing';
import { telemetrySettings, TelemetryConfigError } from './settings';

export { telemetrySettings, TelemetryConfigError, type TelemetrySettings } from './settings';

/**
 * Starts OpenTelemetry tracing for this process when the OTEL_* variables ask for it. It must run
 * before express, pg, ioredis, mongoose and amqplib are first required, because instrumentation
 * patches a module as it loads: each service's `src/instrument.ts` calls it and is the first
 * import of its main.ts.
 */
export function startTelemetry(options: { service: string }): void {
  let settings;
  try {
    settings = telemetrySettings(process.env, options.service);
  } catch (error) {
    if (!(error instanceof TelemetryConfigError)) throw error;
    // The same one clear line as any other bad configuration.
    console.error(`${options.service}: invalid telemetry configuration: ${error.message}`);
    process.exit(1);
  }
  if (!settings.enabled) return;
  // Loaded only when tracing is on: the SDK costs some 25 MB and half a second of start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./tracing') as typeof Tracing;
  onTelemetryStop(startTracing(settings));
}
