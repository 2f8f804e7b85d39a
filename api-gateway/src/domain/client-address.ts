import type { IncomingHttpHeaders } from 'node:http';

/** Who a request comes from, as the gateway counts and reports it. */
export interface Client {
  address: string;
  protocol: string;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

/**
 * The client behind `trustedHops` proxies, as Express's `trust proxy` set to that number finds it
 * (proxy-addr's rule): the connection's peer, then X-Forwarded-For read from its right end, one
 * address per trusted hop; never further than the header goes. With no trusted hop a client's own
 * X-Forwarded-For and X-Forwarded-Proto mean nothing.
 */
export function clientOf(
  peer: { remoteAddress: string | undefined; encrypted: boolean },
  headers: IncomingHttpHeaders,
  trustedHops: number,
): Client {
  const own = peer.encrypted ? 'https' : 'http';
  const remote = peer.remoteAddress ?? '';
  if (trustedHops === 0) return { address: remote, protocol: own };
  const forwardedFor = headers['x-forwarded-for'];
  const joined = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops =
    joined === undefined
      ? []
      : joined
          .split(',')
          .map((hop) => hop.trim())
          .filter(Boolean);
  // hops[hops.length - 1] is the address the nearest proxy saw, hops[0] the farthest.
  const index = Math.min(trustedHops, hops.length);
  const address = index === 0 ? remote : hops[hops.length - index]!;
  return { address, protocol: firstValue(headers['x-forwarded-proto']) || own };
}
