import type { ChildProcess } from 'node:child_process';
import { TEST_JWT_SECRET } from './environment';
import { spawnTs, waitForExit, waitForOutput, type ExitResult } from './process';

/**
 * What every service's main.ts reads besides its own connections, as a test sets it: a free
 * loopback port, info logs (the "listening on" line is how a test learns the port) and the tests'
 * token secret.
 */
export const SERVICE_PROCESS_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  JWT_SECRET: TEST_JWT_SECRET,
};

/** A service's main.ts as production starts it: its own process, configured by environment alone. */
export function spawnService(main: string, env: Record<string, string | undefined>): ChildProcess {
  return spawnTs(main, { ...SERVICE_PROCESS_ENV, ...env });
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Where it listens, from the line it logs once it does. */
  url: string;
  /** Its stdout so far. */
  stdout(): string;
  /** SIGTERM unless it has ended already; resolves with its exit. */
  stop(): Promise<ExitResult>;
}

export interface ServiceProcessTimeouts {
  /** How long it may take to listen. */
  listenMs?: number;
  /** How long it may live in all, after which it is killed and `stop` rejects. */
  lifetimeMs?: number;
}

/** spawnService, resolved once the service listens; if it never does, it is killed. */
export async function startServiceProcess(
  main: string,
  env: Record<string, string | undefined>,
  timeouts: ServiceProcessTimeouts = {},
): Promise<ServiceProcess> {
  const child = spawnService(main, env);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = waitForExit(child, timeouts.lifetimeMs ?? 60_000);
  // A service killed for outliving its time rejects `exited` whether or not `stop` was called.
  exited.catch(() => undefined);
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  let url: string | undefined;
  try {
    const line = await waitForOutput(child, /listening on/, timeouts.listenMs ?? 45_000);
    url = /listening on (http:\/\/[^"\s]+)/.exec(line)?.[1];
    if (!url) throw new Error(`no URL in the line: ${line}`);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { child, url, stdout: () => stdout, stop };
}

/**
 * startServiceProcess, then `check` while it runs, then SIGTERM; resolves with its exit so the
 * caller can judge how it stopped.
 */
export async function whileServiceRuns(
  main: string,
  env: Record<string, string | undefined>,
  check: (service: ServiceProcess) => Promise<void>,
  timeouts: ServiceProcessTimeouts = {},
): Promise<ExitResult> {
  const service = await startServiceProcess(main, env, timeouts);
  try {
    await check(service);
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
  return service.stop();
}
