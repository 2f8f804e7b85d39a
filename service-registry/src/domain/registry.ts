/**
 * The registry's rules, with no I/O and an injected clock: who is registered, who is healthy,
 * whose turn it is, and how many instances fit. The HTTP routes and the sweeper only call these.
 */

export type InstanceState = 'healthy' | 'stale';

export interface ServiceInstance {
  serviceId: string;
  name: string;
  host: string;
  port: number;
  healthCheck: string | undefined;
  registeredAt: number;
  lastHeartbeat: number;
}

export interface InstanceView extends ServiceInstance {
  url: string;
  state: InstanceState;
}

export interface Registration {
  name: string;
  host: string;
  port: number;
  healthCheck?: string | undefined;
}

export type RegisterOutcome =
  | { kind: 'registered'; instance: ServiceInstance }
  | { kind: 'renewed'; instance: ServiceInstance }
  | { kind: 'registry-full'; limit: number }
  | { kind: 'name-full'; limit: number };

export interface RegistryLimits {
  /** A heartbeat older than this takes the instance out of rotation. */
  ttlMs: number;
  /** A heartbeat older than this lets the sweeper forget the instance altogether. */
  graceMs: number;
  maxInstances: number;
  maxInstancesPerName: number;
}

export function instanceUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export class ServiceRegistry {
  private readonly instances = new Map<string, ServiceInstance>();
  /** Per service name, how many instances have been handed out: the round-robin cursor. */
  private readonly cursors = new Map<string, number>();

  constructor(
    readonly limits: RegistryLimits,
    private readonly now: () => number,
    private readonly newId: () => string,
  ) {}

  /** The same name, host and port always get the same serviceId back, with a fresh heartbeat. */
  register(registration: Registration): RegisterOutcome {
    const known = this.find(registration);
    const at = this.now();
    if (known) {
      known.lastHeartbeat = at;
      known.healthCheck = registration.healthCheck ?? known.healthCheck;
      return { kind: 'renewed', instance: known };
    }
    // Room held by instances nobody would hand out any more is given back before refusing.
    if (this.isFull(registration.name)) this.sweep(this.limits.ttlMs);
    if (this.instances.size >= this.limits.maxInstances) {
      return { kind: 'registry-full', limit: this.limits.maxInstances };
    }
    if (this.countOf(registration.name) >= this.limits.maxInstancesPerName) {
      return { kind: 'name-full', limit: this.limits.maxInstancesPerName };
    }
    const instance: ServiceInstance = {
      serviceId: this.newId(),
      name: registration.name,
      host: registration.host,
      port: registration.port,
      healthCheck: registration.healthCheck,
      registeredAt: at,
      lastHeartbeat: at,
    };
    this.instances.set(instance.serviceId, instance);
    return { kind: 'registered', instance };
  }

  /** False when the id is unknown: the caller must register again. */
  heartbeat(serviceId: string): boolean {
    const instance = this.instances.get(serviceId);
    if (!instance) return false;
    instance.lastHeartbeat = this.now();
    return true;
  }

  deregister(serviceId: string): boolean {
    return this.instances.delete(serviceId);
  }

  /** The next healthy instance of `name` in turn, or undefined when none is healthy. */
  discover(name: string): InstanceView | undefined {
    const healthy = this.healthyInstances(name);
    if (healthy.length === 0) return undefined;
    const cursor = this.cursors.get(name) ?? 0;
    this.cursors.set(name, (cursor + 1) % Number.MAX_SAFE_INTEGER);
    return healthy[cursor % healthy.length];
  }

  healthyInstances(name: string): InstanceView[] {
    return this.list().filter((view) => view.name === name && view.state === 'healthy');
  }

  list(): InstanceView[] {
    return [...this.instances.values()].map((instance) => this.view(instance));
  }

  /** Forgets instances silent for longer than `olderThanMs` (the grace period by default). */
  sweep(olderThanMs = this.limits.graceMs): string[] {
    const cutoff = this.now() - olderThanMs;
    const removed: string[] = [];
    for (const [serviceId, instance] of this.instances) {
      if (instance.lastHeartbeat < cutoff) {
        this.instances.delete(serviceId);
        removed.push(serviceId);
      }
    }
    for (const name of this.cursors.keys()) {
      if (this.countOf(name) === 0) this.cursors.delete(name);
    }
    return removed;
  }

  private view(instance: ServiceInstance): InstanceView {
    const age = this.now() - instance.lastHeartbeat;
    return {
      ...instance,
      url: instanceUrl(instance.host, instance.port),
      state: age <= this.limits.ttlMs ? 'healthy' : 'stale',
    };
  }

  private find(registration: Registration): ServiceInstance | undefined {
    for (const instance of this.instances.values()) {
      if (
        instance.name === registration.name &&
        instance.host === registration.host &&
        instance.port === registration.port
      ) {
        return instance;
      }
    }
    return undefined;
  }

  private countOf(name: string): number {
    let count = 0;
    for (const instance of this.instances.values()) if (instance.name === name) count++;
    return count;
  }

  private isFull(name: string): boolean {
    return (
      this.instances.size >= this.limits.maxInstances ||
      this.countOf(name) >= this.limits.maxInstancesPerName
    );
  }
}
