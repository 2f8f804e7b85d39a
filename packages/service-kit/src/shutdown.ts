import type { Logger } from './logger';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * On SIGTERM or SIGINT: run the steps in order (stop accepting and drain HTTP first, then close
 * consumers, pools and connections), then exit. A step that hangs cannot keep the process alive
 * past `timeoutMs`: Kubernetes and Compose send SIGKILL soon after anyway, so we exit on our terms.
 */
export function onShutdownSignal(options: {
  logger: Logger;
  steps: ShutdownStep[];
  timeoutMs?: number;
  exit?: (code: number) => void;
}): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 10_000;
  let stopping = false;
  const handle = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    let failed = false;
    for (const step of options.steps) {
      try {
        await step.run();
      } catch (error) {
        failed = true;
        options.logger.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    options.logger.info('stopped');
    exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', (signal) => void handle(signal));
  process.once('SIGINT', (signal) => void handle(signal));
}
