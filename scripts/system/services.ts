/** The services in the order they start: the registry first, the gateway last. */
export const SERVICES = [
  { name: 'service-registry', port: 8500 },
  { name: 'user-service', port: 3001 },
  { name: 'product-service', port: 3003 },
  { name: 'inventory-service', port: 3004 },
  { name: 'order-service', port: 3002 },
  { name: 'api-gateway', port: 3000 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

/**
 * V8 flags every service runs with, here and in the image (the Dockerfile's CMD, which
 * deploy/test compares with this). A service holds about 30 MiB of live objects; under load
 * Node 24 let the young generation grow to 64 MiB per semi-space and the old one to three or
 * four times its live size before collecting, about 300 MiB resident in all. An 8 MiB
 * semi-space and an old generation collected once it grows by half keep a loaded service near
 * 150 MiB for no measured loss of throughput (bench/README.md has the figures).
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50'] as const;

/**
 * Environment every service runs with, here and in the image (the Dockerfile's ENV, compared by
 * deploy/test). glibc gives each thread that allocates (libuv's pool, V8's GC helpers) an arena
 * of its own, and a loaded gateway kept some 13 MiB more resident for it; two arenas are what
 * Node needs. musl, the images' C library, has no such arenas and ignores the variable.
 */
export const SERVICE_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** Start in waves: the registry, then the four domain services side by side, then the gateway. */
export const START_WAVES: ServiceName[][] = [
  ['service-registry'],
  ['user-service', 'product-service', 'inventory-service', 'order-service'],
  ['api-gateway'],
];

/** The services `--replicas N` multiplies; the registry and the gateway each own one fixed port. */
export const DOMAIN_SERVICES: readonly ServiceName[] = START_WAVES[1]!;

// Replica r of a service listens on its port + 10 * (r - 1): 3002, 3012, 3022... so the domain
// services' ports (3001-3004) never collide with each other's replicas nor reach the next hundred.
export const REPLICA_PORT_STEP = 10;
export const MAX_REPLICAS = 10;
const HIGHEST_PORT = 65_535;

export interface PortPlanOptions {
  /** Instances of every domain service (1 by default). */
  replicas?: number;
  /** Added to every default port: 3000 + N for the gateway, 8500 + N for the registry. */
  portOffset?: number;
  /** A port per service instead of its default (0: any free port, chosen by the launcher). */
  overrides?: Partial<Record<ServiceName, number>>;
}

/** One instance of a service: `order-service#2` is the second replica of order-service. */
export interface PlannedInstance {
  service: ServiceName;
  replica: number;
  /** What the output calls it: the service name, with `#r` when it runs more than once. */
  label: string;
  /** 0 means "pick a free port when starting". */
  port: number;
}

/**
 * The ports of every instance, before anything starts: pure, so the scheme is tested alone and a
 * bad `--replicas` or `--port-offset` is refused with a reason instead of an EADDRINUSE later.
 */
export function planInstances(options: PortPlanOptions = {}): PlannedInstance[] {
  const replicas = options.replicas ?? 1;
  const offset = options.portOffset ?? 0;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new RangeError(`--replicas must be a whole number from 1 to ${MAX_REPLICAS}`);
  }
  const highestDefault = Math.max(...SERVICES.map((service) => service.port));
  if (!Number.isInteger(offset) || offset < 0 || highestDefault + offset > HIGHEST_PORT) {
    throw new RangeError(
      `--port-offset must be a whole number from 0 to ${HIGHEST_PORT - highestDefault}`,
    );
  }
  return SERVICES.flatMap(({ name, port }) => {
    const count = DOMAIN_SERVICES.includes(name) ? replicas : 1;
    const base = options.overrides?.[name] ?? port + offset;
    return Array.from({ length: count }, (_, index) => ({
      service: name,
      replica: index + 1,
      label: count > 1 ? `${name}#${index + 1}` : name,
      port: base === 0 ? 0 : base + index * REPLICA_PORT_STEP,
    }));
  });
}
