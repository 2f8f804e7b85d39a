import type { IncomingHttpHeaders } from 'node:http';

export type HeaderValue = string | string[];
export type ForwardedHeaders = Record<string, HeaderValue>;

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1), so a proxy
 * never passes them on. `proxy-*` (Proxy-Authorization, Proxy-Authenticate, Proxy-Connection) are
 * meant for the hop they were sent to as well.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // The gateway's own server answers `100-continue` itself; passing it on would ask twice.
  'expect',
]);

/** The header names that a Connection header lists, lower-cased: they are hop-by-hop too. */
function namedByConnection(connection: HeaderValue | undefined): Set<string> | undefined {
  // What nearly every message says, on every request: it names no header that is not dropped anyway.
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') {
    return undefined;
  }
  const names = new Set<string>();
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) names.add(name);
    }
  }
  return names;
}

const keepAll = () => false;

/**
 * The end-to-end headers of a message: every header except the hop-by-hop ones, those the
 * Connection header names, and those `omit` names (what the caller writes itself). Names come in
 * lower case (Node and undici both lower-case them) and go out unchanged.
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, HeaderValue | undefined>,
  omit: (name: string) => boolean = keepAll,
): ForwardedHeaders {
  const named = namedByConnection(headers.connection);
  const kept: ForwardedHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || omit(name)) continue;
    if (name.startsWith('proxy-') || named?.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}
