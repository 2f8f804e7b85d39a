import type { RequestListener } from 'node:http';
import { createMetricsApp } from './http/metrics-app';
import { createLogger, type Logger, type LogLevel } from './logger';
import { createMetricsRegistry, type MetricsRegistry } from './metrics';
import { listen, type RunningServer } from './server';
import { onShutdownSignal, type ShutdownStep } from './shutdown';
import { stopTelemetry } from './telemetry/lifecycle';

export interface ServiceRuntime {
  logger: Logger;
  metrics: MetricsRegistry;
}

export interface StartedService {
  /** An Express app, or a listener that hands Express what it does not serve itself. */
  app: RequestListener;
  /** Run after the HTTP server has drained, in order: consumers, relays, then pools. */
  shutdown?: ShutdownStep[];
  /** Run once the server listens (registering in the registry, starting consumers). */
  afterListen?: (server: RunningServer) => Promise<ShutdownStep[] | void> | ShutdownStep[] | void;
}

export interface RunServiceOptions {
  service: string;
  /** Where to listen and how much to log: the service's parsed config (see `baseConfig`). */
  config: { PORT: number; HOST: string; LOG_LEVEL: LogLevel };
  /**
   * Serve /metrics on this port instead of the public one (METRICS_PORT); the app must then be
   * built with `publicMetrics: false`.
   */
  metricsPort?: number;
  shutdownTimeoutMs?: number;
  start: (runtime: ServiceRuntime) => Promise<StartedService>;
}

/**
 * What every main.ts does: logger, metrics, wire the service, listen, stop cleanly on a signal.
 * A failure while starting is one log line and exit code 1, never an unhandled rejection.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { PORT: port, HOST: host, LOG_LEVEL: level } = options.config;
  const logger = createLogger({ service: options.service, level });
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection'),
  );
  try {
    const metrics = createMetricsRegistry(options.service);
    const started = await options.start({ logger, metrics });
    const server = await listen(started.app, port, host);
    const metricsServer =
      options.metricsPort === undefined
        ? undefined
        : await listen(createMetricsApp({ registry: metrics, logger }), options.metricsPort, host);
    const late = (await started.afterListen?.(server)) ?? [];
    onShutdownSignal({
      logger,
      timeoutMs: options.shutdownTimeoutMs,
      steps: [
        ...late,
        { name: 'http', run: () => server.close() },
        ...(metricsServer ? [{ name: 'metrics http', run: () => metricsServer.close() }] : []),
        ...(started.shutdown ?? []),
        // Last, so the spans of the final requests and messages are sent too.
        { name: 'telemetry', run: stopTelemetry },
      ],
    });
    logger.info({ port: server.port }, `${options.service} listening on ${server.url}`);
    if (metricsServer) {
      logger.info({ port: metricsServer.port }, `metrics on ${metricsServer.url}/metrics`);
    }
  } catch (error) {
    logger.fatal({ err: error }, `${options.service} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
}
