import { after, before } from 'node:test';
import type { Express } from 'express';
import { clientFor } from './client';
import { startTestServer } from './http';

/**
 * At the top of a suite (a file or a describe): `start` runs in a before hook and `stop` in an
 * after hook. The returned object reads the fields of what started, so a test can name it before
 * it exists; reading one outside the tests throws.
 */
export function useSuite<T extends object>(
  start: () => Promise<T>,
  stop: (running: T) => Promise<unknown>,
): T {
  let running: T | undefined;
  before(async () => {
    running = await start();
  });
  after(async () => {
    if (running) await stop(running);
  });
  // The target is never read: every field comes from `running`, typed as T by `start`.
  return new Proxy({} as T, {
    get(_target, field) {
      if (!running) throw new Error('the suite starts in its before hook');
      return Reflect.get(running, field);
    },
  });
}

/** A started service (src/service.ts) on a random loopback port; `close` ends the server, then it. */
export async function serveForTest(service: { app: Express; stop(): Promise<unknown> }) {
  const server = await startTestServer(service.app);
  return {
    server,
    url: server.url,
    http: clientFor(server.url),
    async close() {
      await server.close();
      await service.stop();
    },
  };
}
