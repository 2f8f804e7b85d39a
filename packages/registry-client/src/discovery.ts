import type { Logger } from '@shop/service-kit';
import { failureReason, unexpectedAnswer } from './reason';
import { registryHttp } from './registry-http';

export interface DiscoveryOptions {
  registryUrl: string;
  /** The registry's shared secret (REGISTRY_TOKEN); sent on every lookup when set. */
  registryToken?: string | undefined;
  /** How long an answer (or a failure) is reused before asking the registry again. */
  cacheTtlMs?: number;
  requestTimeoutMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface Discovery {
  /**
   * The base URLs of the healthy instances of `name`. An empty list means "ask someone else":
   * the registry has none, or it could not be reached (that is logged, never thrown).
   */
  resolve(name: string): Promise<string[]>;
}

interface CacheEntry {
  urls: Promise<string[]>;
  expiresAt: number;
}

interface ServicesAnswer {
  instances: { url: string }[];
}

/**
 * Discovery with a short cache: a busy gateway asks the registry at most once per name per
 * `cacheTtlMs`, concurrent lookups share one request, and an unreachable registry costs one
 * timeout per TTL instead of one per request.
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const cacheTtlMs = options.cacheTtlMs ?? 2000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const http = registryHttp({
    registryUrl: options.registryUrl,
    registryToken: options.registryToken,
    timeoutMs: options.requestTimeoutMs ?? 1000,
  });

  // Logged when the registry becomes unreachable and when it is back, not on every lookup.
  let registryDown = false;

  async function lookup(name: string): Promise<string[]> {
    try {
      const response = await http.get<ServicesAnswer>('/services', {
        params: { name, state: 'healthy' },
      });
      if (response.status !== 200) throw unexpectedAnswer(response.status);
      if (registryDown) options.logger?.info('the registry answers again');
      registryDown = false;
      return response.data.instances.map((instance) => instance.url);
    } catch (error) {
      if (!registryDown) {
        options.logger?.warn(
          { reason: failureReason(error), name },
          'service discovery failed; using fallback URLs until the registry answers',
        );
      }
      registryDown = true;
      return [];
    }
  }

  return {
    resolve(name) {
      const cached = cache.get(name);
      if (cached && cached.expiresAt > now()) return cached.urls;
      const urls = lookup(name);
      cache.set(name, { urls, expiresAt: now() + cacheTtlMs });
      return urls;
    },
  };
}
