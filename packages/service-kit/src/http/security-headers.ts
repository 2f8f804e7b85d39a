import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import helmet from 'helmet';

let captured: Readonly<OutgoingHttpHeaders> | undefined;

/**
 * helmet's headers as one object, for a handler that writes its answer with plain `node:http`
 * (the gateway's proxied routes) and so never runs helmet's middleware. With the default options
 * they are the same for every request, so they are read once, by running helmet against a
 * response that only records what is set: the exact set the Express apps send, kept in step
 * with helmet's own defaults.
 */
export function securityHeaders(): Readonly<OutgoingHttpHeaders> {
  if (captured) return captured;
  const headers: OutgoingHttpHeaders = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  captured = Object.freeze(headers);
  return captured;
}
