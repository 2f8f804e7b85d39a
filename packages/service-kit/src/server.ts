import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError } from './http/client-error';

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** Listens on `port` (0 picks a free one) and knows how to drain. */
export async function listen(
  app: http.RequestListener,
  port: number,
  host = '0.0.0.0',
): Promise<RunningServer> {
  const server = http.createServer(app);
  // Longer than the idle timeout of whatever pools connections to us (the gateway's 30 s, load
  // balancers' 60 s), so the client always closes an idle socket first, never mid-request.
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    server,
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close: () => drain(server),
  };
}

function drain(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // Idle keep-alive sockets hold the server open; close them as soon as they become idle.
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.close((error) => {
      clearInterval(sweeper);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
