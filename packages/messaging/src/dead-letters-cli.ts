import amqp from 'amqplib';
import { z } from 'zod';
import { QUEUES } from '@shop/contracts';
import { listDeadLetters, redriveDeadLetters } from './dead-letters';

const USAGE = `Usage:
  dead-letters list [queue...]                  count, and why the oldest died, per dead-letter queue
  dead-letters redrive <queue> [--limit N]      move dead letters back to <queue>, attempts reset

Reads RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672) and RABBITMQ_NAMESPACE.`;

const envSchema = z.object({
  RABBITMQ_URL: z.url().default('amqp://guest:guest@127.0.0.1:5672'),
  RABBITMQ_NAMESPACE: z.string().min(1).optional(),
});

type Command =
  | { kind: 'list'; queues: string[] }
  | { kind: 'redrive'; queue: string; limit?: number }
  | { kind: 'usage'; error?: string };

export function parseDeadLettersArgs(args: readonly string[]): Command {
  const [command, ...rest] = args;
  if (command === 'list')
    // With no queue named, every work queue of the shop.
    return { kind: 'list', queues: rest.length ? rest : Object.values(QUEUES) };
  if (command !== 'redrive')
    return { kind: 'usage', error: command && `Unknown command ${command}` };
  const [queue, ...options] = rest;
  if (!queue || queue.startsWith('-')) return { kind: 'usage', error: 'redrive needs a queue' };
  if (options.length === 0) return { kind: 'redrive', queue };
  const limit = Number(options[1]);
  if (options.length !== 2 || options[0] !== '--limit' || !Number.isInteger(limit) || limit < 1)
    return { kind: 'usage', error: '--limit takes a whole number above 0' };
  return { kind: 'redrive', queue, limit };
}

/** `npm run dead-letters -- ...` and the Kubernetes Job run this; returns the exit code. */
export async function runDeadLettersCli(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const command = parseDeadLettersArgs(args);
  if (command.kind === 'usage') {
    if (command.error) print(command.error);
    print(USAGE);
    return command.error ? 2 : 0;
  }
  const config = envSchema.safeParse(env);
  if (!config.success) {
    print(`Invalid ${config.error.issues[0]!.path.join('.')}: ${config.error.issues[0]!.message}`);
    return 2;
  }
  const { RABBITMQ_URL: url, RABBITMQ_NAMESPACE: namespace } = config.data;
  const model = await amqp.connect(url, { timeout: 5000 });
  model.on('error', () => undefined);
  try {
    if (command.kind === 'list') {
      const summaries = await listDeadLetters(model, { namespace, queues: command.queues });
      const width = Math.max(...summaries.map((s) => s.deadQueue.length), 'queue'.length);
      print(`${'queue'.padEnd(width)}  ${'count'.padStart(5)}  oldest reason`);
      for (const { deadQueue, count, oldestReason } of summaries)
        print(`${deadQueue.padEnd(width)}  ${String(count).padStart(5)}  ${oldestReason ?? '-'}`);
      return 0;
    }
    const result = await redriveDeadLetters(model, {
      namespace,
      queue: command.queue,
      limit: command.limit,
    });
    print(`Moved ${result.moved} from ${result.deadQueue} to ${result.queue}; ${result.left} left`);
    return 0;
  } catch (error) {
    print(`dead-letters failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await model.close().catch(() => undefined);
  }
}

// Run directly (the production image has no tsx: `node node_modules/@shop/messaging/dist/dead-letters-cli.js`).
if (require.main === module) {
  void runDeadLettersCli(process.argv.slice(2)).then((code) => process.exit(code));
}
