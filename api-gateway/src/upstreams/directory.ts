import type { Discovery } from '@shop/registry-client';
import { UnavailableError } from '@shop/service-kit';
import { CircuitBreaker, type CircuitSettings } from '../domain/circuit-breaker';
import { UPSTREAM_NAMES, type UpstreamName } from '../domain/routing';

export interface UpstreamChoice {
  name: UpstreamName;
  target: string;
  breaker: CircuitBreaker;
}

export interface UpstreamDirectoryOptions {
  /** The `*_SERVICE_URL`s: used when the registry is unset, unreachable or knows no instance. */
  staticUrls: Partial<Record<UpstreamName, string>>;
  discovery?: Discovery | undefined;
  circuit: CircuitSettings;
  /** Told when an instance leaves the list, so its connection pool can be closed. */
  onTargetGone?: (target: string) => void;
  now?: () => number;
}

/**
 * Where each upstream lives right now: the healthy instances the registry knows, else the static
 * URL. Requests go round robin over those instances, skipping any whose circuit is open; when
 * every circuit of a service is open the caller gets a fast 503 instead of a wait.
 */
export class UpstreamDirectory {
  private readonly cursors = new Map<UpstreamName, number>();
  private readonly breakers = new Map<UpstreamName, Map<string, CircuitBreaker>>();
  private readonly now: () => number;

  constructor(private readonly options: UpstreamDirectoryOptions) {
    this.now = options.now ?? Date.now;
  }

  async targets(name: UpstreamName): Promise<string[]> {
    const discovered = (await this.options.discovery?.resolve(name)) ?? [];
    if (discovered.length > 0) return discovered;
    const fallback = this.options.staticUrls[name];
    return fallback ? [fallback] : [];
  }

  /**
   * The next instance in turn whose circuit lets a call through. `except` is an instance that
   * just refused a connection: a retry goes elsewhere, or nowhere.
   */
  async choose(name: UpstreamName, except?: string): Promise<UpstreamChoice> {
    const targets = await this.targets(name);
    if (targets.length === 0) {
      throw UnavailableError(`${name} is unavailable: no instance is registered`);
    }
    const breakers = this.breakersOf(name, targets);
    const start = this.cursors.get(name) ?? 0;
    this.cursors.set(name, (start + 1) % Number.MAX_SAFE_INTEGER);
    for (let offset = 0; offset < targets.length; offset++) {
      const target = targets[(start + offset) % targets.length]!;
      if (target === except) continue;
      const breaker = breakers.get(target)!;
      if (breaker.tryAcquire()) return { name, target, breaker };
    }
    if (except !== undefined && targets.every((target) => target === except)) {
      throw UnavailableError(`${name} is unavailable: its only instance refused the connection`);
    }
    throw UnavailableError(`${name} is unavailable: its circuit is open after repeated failures`);
  }

  /** For /ready: every route has somewhere to go. */
  async assertEveryUpstreamHasATarget(): Promise<void> {
    const missing: string[] = [];
    for (const name of UPSTREAM_NAMES) {
      if ((await this.targets(name)).length === 0) missing.push(name);
    }
    if (missing.length > 0) throw new Error(`no instance of ${missing.join(', ')}`);
  }

  /** One breaker per instance; instances that left the list are forgotten, so the map stays small. */
  private breakersOf(name: UpstreamName, targets: string[]): Map<string, CircuitBreaker> {
    let breakers = this.breakers.get(name);
    if (!breakers) {
      breakers = new Map();
      this.breakers.set(name, breakers);
    }
    for (const known of breakers.keys()) {
      if (targets.includes(known)) continue;
      breakers.delete(known);
      this.options.onTargetGone?.(known);
    }
    for (const target of targets) {
      if (!breakers.has(target)) {
        breakers.set(target, new CircuitBreaker(this.options.circuit, this.now));
      }
    }
    return breakers;
  }
}
