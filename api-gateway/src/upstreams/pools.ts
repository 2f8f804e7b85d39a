import { Client, Pool } from 'undici';

export interface PoolSettings {
  /** Most connections open to one upstream instance at once; more requests wait in its queue. */
  connections: number;
  /** How long an idle kept-alive connection stays open; shorter than the services' keep-alive. */
  idleTimeoutMs: number;
  /** Longest silence in the middle of an upstream's answer before it is cut. */
  responseIdleTimeoutMs: number;
}

/**
 * One pool of kept-alive connections per upstream instance (its origin), made on first use and
 * closed when the instance leaves the registry or the gateway shuts down.
 *
 * undici and not `http.Agent`: its pools are per origin by design (one object to close when an
 * instance goes), it follows the server's `Keep-Alive: timeout` hint, and it costs less per
 * request than Node's http client. The gateway keeps its own timers for the upstream deadline and
 * the request body's deadline, so undici's header timeout is off: its clock would start while a
 * slow client is still uploading and blame the upstream.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly settings: PoolSettings) {}

  private options() {
    return {
      keepAliveTimeout: this.settings.idleTimeoutMs,
      keepAliveMaxTimeout: this.settings.idleTimeoutMs,
      headersTimeout: 0,
      bodyTimeout: this.settings.responseIdleTimeoutMs,
    };
  }

  for(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { ...this.options(), connections: this.settings.connections });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** A connection of its own, for the one retry of a request whose pooled socket was dead. */
  fresh(origin: string): Client {
    return new Client(origin, this.options());
  }

  /** Requests under way finish; the idle connections close. */
  forget(origin: string): void {
    const pool = this.pools.get(origin);
    if (!pool) return;
    this.pools.delete(origin);
    void pool.close().catch(() => undefined);
  }

  has(origin: string): boolean {
    return this.pools.has(origin);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
