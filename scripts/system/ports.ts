import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when nothing listens on `host:port`, found by trying to listen there ourselves. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The process listening on a port per lsof (Linux and macOS), when this user may see it. */
async function listeningProcess(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], {
      timeout: 2000,
    });
    const pid = /^p(\d+)$/m.exec(stdout)?.[1];
    const command = /^c(.+)$/m.exec(stdout)?.[1];
    if (pid && command) return `${command} (pid ${pid})`;
  } catch {
    // No lsof, or nothing this user may see: the HTTP probe below may still say what it is.
  }
  return undefined;
}

/** A shop service answers /health with its name: say so, since that is the usual culprit. */
async function shopServiceOn(port: number, host: string): Promise<string | undefined> {
  // A timer of our own, not AbortSignal.timeout: that one does not keep the process alive, and a
  // holder that accepts and hangs up can leave fetch waiting on nothing else.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 1000);
  try {
    const response = await fetch(`http://${host}:${port}/health`, { signal: controller.signal });
    const body = (await response.json()) as { service?: unknown };
    return typeof body.service === 'string' ? body.service : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** What holds a taken port, in words: "node (pid 4242), which answers as the shop's api-gateway". */
export async function describePortHolder(port: number, host: string): Promise<string> {
  const [owner, service] = await Promise.all([listeningProcess(port), shopServiceOn(port, host)]);
  const who = owner ?? 'another process';
  return service ? `${who}, which answers as the shop's ${service}` : who;
}
