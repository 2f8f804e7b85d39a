import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@shop/testkit';
import { onCleanup, root } from './support';

const run = promisify(execFile);

/** What one load run measured: throughput and latency percentiles in milliseconds. */
export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Answers outside 2xx/3xx, plus socket errors: a run with any is not a measurement. */
  failures: number;
}

export const hasCommand = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function latencyAt(output: string, percent: string): number {
  const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
  if (!match) throw new Error(`wrk printed no ${percent}% latency:\n${output}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Parses wrk's `--latency` report. */
export function parseWrk(output: string): LoadFigures {
  const perSecond = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in/m.exec(output);
  if (!perSecond || !total) throw new Error(`unexpected wrk output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(perSecond[1]),
    p50: latencyAt(output, '50'),
    p99: latencyAt(output, '99'),
    requests: Number(total[1]),
    failures: non2xx + errors,
  };
}

/**
 * wrk with one thread: it is written in C and costs the two cores far less than a Node load
 * generator would, so more of the machine is left to what is measured.
 */
export async function wrk(options: {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}): Promise<LoadFigures> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
    '-H',
    `${name}: ${value}`,
  ]);
  const { stdout } = await run('wrk', [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...headerArgs,
    options.url,
  ]);
  return parseWrk(stdout);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server.address() as net.AddressInfo) ?? { port: 0 };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Debian's nginx as a plain reverse proxy in front of `upstreamUrl`, with a pool of kept-alive
 * upstream connections: the yardstick the gateway is compared with. One worker, as the gateway is
 * one process. Everything it writes lives in a temporary directory removed at cleanup.
 */
export async function startNginx(
  upstreamUrl: string,
): Promise<{ url: string; workers: number; workerPid: number | undefined }> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  const port = await freePort();
  const upstream = new URL(upstreamUrl);
  const workers = 1;
  writeFileSync(
    path.join(directory, 'nginx.conf'),
    `worker_processes ${workers};
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${directory}/body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  upstream service { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = await startProxyProcess({
    name: 'nginx',
    command: 'nginx',
    args: ['-p', directory, '-c', `${directory}/nginx.conf`, '-g', 'daemon off;'],
    port,
    stopSignal: 'SIGQUIT',
    afterStop: () => rmSync(directory, { recursive: true, force: true }),
  });
  // The master only manages; its one worker accepts the connections and proxies them.
  const [workerPid] = childrenOf(child.pid);
  return { url: child.url, workers, workerPid };
}

/** The pids of a process's children; none where the kernel does not list them in /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .map(Number)
      .filter((child) => child > 0);
  } catch {
    return [];
  }
}

/**
 * One of the Node reference proxies in bench/ (`node-proxy.ts`, node:http and undici with nothing
 * else; `tcp-relay.ts`, bytes copied with no HTTP at all) as its own process in front of
 * `upstreamUrl`: the floors under anything the gateway does. Stopped at cleanup.
 */
export async function startNodeReference(
  script: 'node-proxy.ts' | 'tcp-relay.ts',
  upstreamUrl: string,
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  return startProxyProcess({
    name: script,
    command: process.execPath,
    args: [
      '--conditions=development',
      '--import',
      'tsx',
      path.join(root, 'bench', script),
      String(port),
      new URL(upstreamUrl).origin,
    ],
    port,
    stopSignal: 'SIGTERM',
  });
}

/**
 * A reference proxy as a child process, stopped at cleanup, once it answers `/health` (the
 * service's, through it) on 127.0.0.1:`port`.
 */
async function startProxyProcess(options: {
  name: string;
  command: string;
  args: string[];
  port: number;
  stopSignal: NodeJS.Signals;
  afterStop?: () => void;
}): Promise<{ url: string; pid: number }> {
  const { port } = options;
  const child = spawn(options.command, options.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  onCleanup(`stop ${options.name}`, async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(options.stopSignal);
      await exited;
    }
    options.afterStop?.();
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${options.name} exited: ${errors}`);
      return fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      );
    },
    { what: `${options.name} listening`, timeoutMs: 10_000 },
  );
  return { url, pid: child.pid! };
}
