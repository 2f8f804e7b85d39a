import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
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

/** A port this process holds for a service it is about to start; `release` once that has ended. */
export interface PortLease {
  port: number;
  release(): void;
}

const LEASES = path.join(os.tmpdir(), 'shop-port-leases');
const LOWEST_LEASED_PORT = 20_000;

/** The kernel's ephemeral range starts here (Linux); 32768 elsewhere, Linux's default. */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    const start = Number(low);
    return Number.isInteger(start) && start > LOWEST_LEASED_PORT + 1000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lease file of `port` unless a live process holds it (a dead holder's lease is taken over). */
function claim(port: number): boolean {
  const file = path.join(LEASES, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(file, 'utf8'));
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return false;
  rmSync(file, { force: true });
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A free port for a child process to listen on. A port from `listen(0)` is free only until it is
 * closed: between then and the child's own listen, seconds when tsx compiles on a busy machine,
 * any other `listen(0)` or outgoing connection may take it, and the child dies of EADDRINUSE.
 * So the port comes from below the kernel's ephemeral range, which neither of those uses, and a
 * lease file (one per port, holding the pid) keeps concurrent launchers (parallel test files) off
 * each other's ports until the service has ended.
 */
export async function leasePort(host = '127.0.0.1'): Promise<PortLease> {
  mkdirSync(LEASES, { recursive: true });
  const span = ephemeralRangeStart() - LOWEST_LEASED_PORT;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST_LEASED_PORT + Math.floor(Math.random() * span);
    if (!claim(port)) continue;
    const release = () => rmSync(path.join(LEASES, String(port)), { force: true });
    if (await isPortFree(port, host)) return { port, release };
    release();
  }
  throw new Error(`no free port between ${LOWEST_LEASED_PORT} and ${LOWEST_LEASED_PORT + span}`);
}

/**
 * The program a process runs, from its command line: `node` for `/usr/bin/node main.js`. Not
 * lsof's command name, which is the thread's name and reads "MainThread" for Node 24.
 */
async function programOf(pid: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('ps', ['-p', pid, '-o', 'args='], { timeout: 2000 });
    const program = stdout.trim().split(/\s+/)[0];
    return program ? path.basename(program).replace(/:$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** The process listening on a port per lsof (Linux and macOS), when this user may see it. */
async function listeningProcess(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], {
      timeout: 2000,
    });
    const pid = /^p(\d+)$/m.exec(stdout)?.[1];
    const command = /^c(.+)$/m.exec(stdout)?.[1];
    if (pid) {
      const program = (await programOf(pid)) ?? command;
      if (program) return `${program} (pid ${pid})`;
    }
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
