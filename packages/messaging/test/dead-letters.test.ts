import type { ShopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@shop/testkit';
import {
  deadQueueName,
  RETRY_HEADERS,
  PermanentFailure,
  qualify,
  redriveDeadLetters,
  type ConsumerOptions,
} from '../src';
import { parseDeadLettersArgs, runDeadLettersCli } from '../src/dead-letters-cli';
import type { RawBroker } from './fixtures/broker';
import { useMessagingSuite } from './fixtures/harness';

const suite = useMessagingSuite('messaging_dead');

function consume(
  queue: string,
  handlers: ConsumerOptions<ShopEvents>['handlers'],
  extra: Partial<ConsumerOptions<ShopEvents>> = {},
) {
  return suite.harness.consumer({
    rabbit: suite.rabbit,
    queue,
    events: ['ORDER_CANCELLED'],
    handlers,
    ...extra,
  });
}

const cancelled = (orderId: string) => ({ orderId, userId: 'u-1' });

test('when a handler always throws, then the event ends in .dead after the configured attempts with growing delays, and the next event is still handled', async () => {
  const attempts: number[] = [];
  const handled: string[] = [];
  const consumer = consume(
    'always-failing',
    {
      ORDER_CANCELLED: async (event) => {
        if (event.data.orderId === 'poison') {
          attempts.push(performance.now());
          throw new Error('stock ledger unreachable');
        }
        handled.push(event.data.orderId);
      },
    },
    { maxAttempts: 4, retryDelaysMs: [100, 300, 2700] },
  );
  await consumer.waitUntilConsuming();

  const poison = await suite.rabbit.publish('ORDER_CANCELLED', cancelled('poison'));
  await suite.rabbit.publish('ORDER_CANCELLED', cancelled('healthy'));

  await waitFor(() => handled.includes('healthy'), { what: 'the event behind the poison one' });
  const dead = await waitFor(
    async () => {
      const messages = await suite.broker.drain(
        deadQueueName(qualify(suite.harness.namespace, 'always-failing')),
      );
      return messages.length > 0 && messages;
    },
    { what: 'the poison event in .dead' },
  );

  assert.equal(attempts.length, 4);
  const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!);
  // A TTL never fires early, so each gap is at least its delay; a loaded machine only adds to it
  // (a stall of a second has been seen), which is why growth is checked from the first to the last
  // gap, 2.6 s apart.
  assert.ok(gaps[0]! >= 90 && gaps[1]! >= 290 && gaps[2]! >= 2690, `gaps ${gaps.join(', ')}`);
  assert.ok(gaps[0]! < gaps[2]!, `gaps grow: ${gaps.join(', ')}`);
  assert.equal(dead.length, 1);
  const [message] = dead;
  assert.equal(JSON.parse(message!.content.toString()).eventId, poison.eventId);
  assert.equal(message!.properties.messageId, poison.eventId);
  assert.equal(message!.properties.headers?.[RETRY_HEADERS.deathReason], 'max-attempts');
  assert.match(
    String(message!.properties.headers?.[RETRY_HEADERS.lastError]),
    /stock ledger unreachable/,
  );
  assert.equal(message!.properties.headers?.[RETRY_HEADERS.attempts], 4);
  const inbox = await suite.harness.pool.query('SELECT 1 FROM inbox WHERE event_id = $1', [
    poison.eventId,
  ]);
  assert.equal(inbox.rowCount, 0, 'a failed event is not recorded as processed');
  await consumer.stop();
});

test('when an event does not match its schema, then it goes straight to .dead with the reason and the handler never runs', async () => {
  let calls = 0;
  const consumer = consume('invalid-events', {
    ORDER_CANCELLED: async () => void (calls += 1),
  });
  await consumer.waitUntilConsuming();
  const exchange = qualify(suite.harness.namespace, 'orders');
  suite.broker.publishRaw(exchange, 'order.cancelled', {
    eventId: 'e-bad',
    eventType: 'ORDER_CANCELLED',
    timestamp: new Date().toISOString(),
    correlationId: null,
    data: { orderId: 'o-1' },
  });
  suite.broker.publishRaw(exchange, 'order.cancelled', 'not json at all');
  await suite.rabbit.publish('ORDER_CANCELLED', cancelled('fine'));

  const queue = deadQueueName(qualify(suite.harness.namespace, 'invalid-events'));
  const dead: Awaited<ReturnType<RawBroker['drain']>> = [];
  await waitFor(
    async () => {
      // Draining takes messages off the queue, so collect across polls.
      dead.push(...(await suite.broker.drain(queue)));
      return dead.length === 2;
    },
    { what: 'both invalid events in .dead' },
  );
  await waitFor(() => calls === 1, { what: 'the valid event' });

  const reasons = dead.map((message) => message.properties.headers ?? {});
  assert.deepEqual(
    reasons.map((headers) => headers[RETRY_HEADERS.deathReason]),
    ['invalid-event', 'invalid-event'],
  );
  assert.match(String(reasons[0]![RETRY_HEADERS.lastError]), /userId/);
  assert.match(String(reasons[1]![RETRY_HEADERS.lastError]), /not JSON/);
  assert.equal(JSON.parse(dead[0]!.content.toString()).eventId, 'e-bad');
  await consumer.stop();
});

test('when a handler throws PermanentFailure, then the event is dead-lettered at the first attempt', async () => {
  let calls = 0;
  const consumer = consume(
    'permanent-failures',
    {
      ORDER_CANCELLED: async () => {
        calls += 1;
        throw new PermanentFailure('order o-9 does not exist');
      },
    },
    { maxAttempts: 5, retryDelaysMs: [50] },
  );
  await consumer.waitUntilConsuming();
  await suite.rabbit.publish('ORDER_CANCELLED', cancelled('o-9'));

  const queue = deadQueueName(qualify(suite.harness.namespace, 'permanent-failures'));
  const [message] = await waitFor(async () => {
    const collected = await suite.broker.drain(queue);
    return collected.length > 0 && collected;
  });
  assert.equal(calls, 1);
  assert.equal(message!.properties.headers?.[RETRY_HEADERS.deathReason], 'permanent-failure');
  assert.match(
    String(message!.properties.headers?.[RETRY_HEADERS.lastError]),
    /o-9 does not exist/,
  );
  await consumer.stop();
});

test('when dead letters are re-driven while their cause persists, then --limit moves only that many, oldest first, and each gets every attempt again', async () => {
  const calls = new Map<string, number>();
  const queue = 'redrive-again';
  const consumer = consume(
    queue,
    {
      ORDER_CANCELLED: async (event) => {
        calls.set(event.data.orderId, (calls.get(event.data.orderId) ?? 0) + 1);
        throw new Error('refund service down');
      },
    },
    { maxAttempts: 2, retryDelaysMs: [50] },
  );
  await consumer.waitUntilConsuming();
  const dead = deadQueueName(qualify(suite.harness.namespace, queue));
  const deadCount = async () => (await suite.broker.channel.checkQueue(dead)).messageCount;
  await suite.rabbit.publish('ORDER_CANCELLED', cancelled('older'));
  await waitFor(async () => (await deadCount()) === 1, { what: 'the older event in .dead' });
  await suite.rabbit.publish('ORDER_CANCELLED', cancelled('newer'));
  await waitFor(async () => (await deadCount()) === 2, { what: 'both events in .dead' });

  const model = suite.rabbit.currentConnection();
  assert.ok(model);
  const result = await redriveDeadLetters(model, {
    namespace: suite.harness.namespace,
    queue,
    limit: 1,
  });
  assert.deepEqual({ moved: result.moved, left: result.left }, { moved: 1, left: 1 });

  // Reset, the older event fails its two attempts again; carried over, it would die at once.
  await waitFor(async () => (await deadCount()) === 2 && calls.get('older') === 4, {
    what: 'the re-driven event to die again after every attempt',
  });
  await consumer.stop();
  assert.equal(calls.get('newer'), 2, 'the newer one stayed dead');
  const messages = await suite.broker.drain(dead);
  const older = messages.find((message) => message.content.toString().includes('"older"'));
  assert.equal(older?.properties.headers?.[RETRY_HEADERS.attempts], 2);
});

test('when the dead-letters command is given bad arguments, then it prints why and the usage and exits 2', async () => {
  assert.deepEqual(parseDeadLettersArgs(['redrive', 'inventory-order-events', '--limit', '5']), {
    kind: 'redrive',
    queue: 'inventory-order-events',
    limit: 5,
  });
  for (const args of [
    ['redrive'],
    ['redrive', '--limit', '5'],
    ['redrive', 'inventory-order-events', '--limit', '0'],
    ['redrive', 'inventory-order-events', '--limit', 'all'],
    ['redrive', 'inventory-order-events', '--max', '5'],
    ['purge', 'inventory-order-events'],
  ]) {
    const printed: string[] = [];
    const code = await runDeadLettersCli(args, {}, (line) => printed.push(line));
    assert.equal(code, 2, args.join(' '));
    assert.match(printed[0] ?? '', /needs a queue|--limit takes a whole number|Unknown command/);
    assert.match(printed.join('\n'), /Usage:/);
  }
});
