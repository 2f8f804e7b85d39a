import os from 'node:os';
import type { AxiosInstance } from 'axios';
import type { Logger } from '@shop/service-kit';
import { failureReason, unexpectedAnswer } from './reason';
import { registryHttp } from './registry-http';

export interface RegistrationOptions {
  registryUrl: string;
  /** The registry's shared secret (REGISTRY_TOKEN); sent on every call when set. */
  registryToken?: string | undefined;
  /** The service name others discover it by: "order-service". */
  name: string;
  /** How other processes reach this instance (a hostname or IP, never 0.0.0.0). */
  host: string;
  port: number;
  logger: Logger;
  healthCheck?: string;
  /**
   * The longest wait between heartbeats (10 s by default); a registry whose TTL is shorter than
   * three of these gets one every third of its TTL instead, so one lost beat is harmless.
   */
  heartbeatIntervalMs?: number;
  /** First delay before retrying a failed registration; it doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  requestTimeoutMs?: number;
}

export interface RegistryRegistration {
  /** The id the registry gave this instance, or undefined while not (or no longer) registered. */
  readonly serviceId: string | undefined;
  /** Stops heartbeating and deregisters; for main.ts's shutdown steps. Never rejects. */
  stop(): Promise<void>;
}

/**
 * Keeps this instance registered for as long as it runs: registers in the background (start-up
 * never waits for the registry), retries with backoff while the registry is not up, heartbeats on
 * an interval, registers again when the registry has forgotten it (a 404 heartbeat, as after a
 * registry restart), and deregisters on stop.
 */
export function registerWithRegistry(options: RegistrationOptions): RegistryRegistration {
  const registration = new Registration(options);
  registration.start();
  return registration;
}

/** A third of the registry's TTL when that is sooner than `maxMs`; older registries send no TTL. */
export function beatInterval(maxMs: number, ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) return maxMs;
  return Math.max(1, Math.min(maxMs, Math.floor(ttlMs / 3)));
}

class Registration implements RegistryRegistration {
  private id: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly http: AxiosInstance;
  private readonly heartbeatIntervalMs: number;
  private beatEveryMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: RegistrationOptions) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
    this.beatEveryMs = this.heartbeatIntervalMs;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.logger = options.logger.child({ registry: options.registryUrl });
    this.http = registryHttp({
      registryUrl: options.registryUrl,
      registryToken: options.registryToken,
      timeoutMs: options.requestTimeoutMs ?? 2000,
    });
  }

  get serviceId(): string | undefined {
    return this.id;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    const serviceId = this.id;
    if (!serviceId) return;
    this.id = undefined;
    try {
      const response = await this.http.delete(`/services/${encodeURIComponent(serviceId)}`);
      if (response.status !== 204) throw unexpectedAnswer(response.status);
      this.logger.info({ serviceId }, 'deregistered from the registry');
    } catch (error) {
      this.logger.warn(
        { reason: failureReason(error), serviceId },
        'could not deregister; the registry will expire it',
      );
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.id ? this.heartbeat(this.id) : this.register();
    }, delayMs);
    // Registration must never be what keeps a process alive.
    this.timer.unref();
  }

  private async register(): Promise<void> {
    const { name, host, port, healthCheck } = this.options;
    try {
      const response = await this.http.post('/register', { name, host, port, healthCheck });
      if (response.status !== 200 && response.status !== 201) {
        throw unexpectedAnswer(response.status, response.data);
      }
      const answer = response.data as { serviceId: unknown; ttlMs?: unknown };
      this.id = String(answer.serviceId);
      this.beatEveryMs = beatInterval(this.heartbeatIntervalMs, answer.ttlMs);
      this.failures = 0;
      this.logger.info({ serviceId: this.id, name, host, port }, 'registered with the registry');
      this.schedule(this.beatEveryMs);
    } catch (error) {
      this.failures++;
      const delayMs = this.backoff();
      this.logger.warn(
        { reason: failureReason(error), attempt: this.failures, retryInMs: delayMs },
        'could not register with the registry; retrying',
      );
      this.schedule(delayMs);
    }
  }

  private async heartbeat(serviceId: string): Promise<void> {
    try {
      const response = await this.http.post(`/heartbeat/${encodeURIComponent(serviceId)}`);
      if (response.status === 404) {
        this.logger.warn({ serviceId }, 'the registry forgot this instance; registering again');
        this.id = undefined;
        this.schedule(0);
        return;
      }
      if (response.status !== 204) throw unexpectedAnswer(response.status);
    } catch (error) {
      this.logger.warn(
        { reason: failureReason(error), serviceId },
        'heartbeat to the registry failed',
      );
    }
    this.schedule(this.beatEveryMs);
  }

  /** Doubling delay with jitter, so instances restarted together do not retry in lockstep. */
  private backoff(): number {
    const base = Math.min(this.retryDelayMs * 2 ** (this.failures - 1), this.maxRetryDelayMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}

/** The registry settings of every service's config (service-kit's `baseConfig`). */
export interface RegistrySettings {
  REGISTRY_URL?: string | undefined;
  REGISTRY_TOKEN?: string | undefined;
  SERVICE_HOST?: string | undefined;
}

/**
 * What every service's main.ts does once it listens: register when REGISTRY_URL is set, and hand
 * back the shutdown step that deregisters (run first, so traffic stops before the drain).
 */
export function registrationSteps(
  config: RegistrySettings,
  instance: { name: string; port: number; logger: Logger },
): { name: string; run: () => Promise<void> }[] {
  if (!config.REGISTRY_URL) return [];
  const registration = registerWithRegistry({
    registryUrl: config.REGISTRY_URL,
    registryToken: config.REGISTRY_TOKEN,
    name: instance.name,
    host: config.SERVICE_HOST ?? os.hostname(),
    port: instance.port,
    healthCheck: '/health',
    logger: instance.logger,
  });
  return [{ name: 'registry', run: () => registration.stop() }];
}

/** `registrationSteps` as runService's `afterListen`: registers on the port the server got. */
export function registerOnceListening(
  config: RegistrySettings,
  instance: { name: string; logger: Logger },
): (server: { port: number }) => { name: string; run: () => Promise<void> }[] {
  return (server) => registrationSteps(config, { ...instance, port: server.port });
}
