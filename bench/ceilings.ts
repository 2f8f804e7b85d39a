import amqp from 'amqplib';
import { createPool } from '@shop/postgres';
import { createTestDatabase, testServers, uniqueName } from '@shop/testkit';

export interface Ceiling {
  perSecond: number;
}

/**
 * What Postgres alone commits on this machine: `connections` clients each inserting a row of an
 * order's size and committing, back to back, for `seconds`. Every saga step is at least one such
 * transaction, so the pipeline cannot beat this divided by the transactions an order needs.
 */
export async function measurePostgresCeiling(options: {
  connections: number;
  seconds: number;
}): Promise<Ceiling> {
  const database = await createTestDatabase('bench_ceiling');
  const pool = createPool(database.url, { max: options.connections });
  try {
    await pool.query('CREATE TABLE rows (id bigserial PRIMARY KEY, payload jsonb NOT NULL)');
    const payload = JSON.stringify({ orderId: uniqueName('o'), items: [{ quantity: 1 }] });
    const until = performance.now() + options.seconds * 1000;
    let committed = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        const client = await pool.connect();
        try {
          while (performance.now() < until) {
            await client.query('BEGIN');
            await client.query('INSERT INTO rows (payload) VALUES ($1)', [payload]);
            await client.query('COMMIT');
            committed += 1;
          }
        } finally {
          client.release();
        }
      }),
    );
    return { perSecond: committed / ((performance.now() - began) / 1000) };
  } finally {
    await pool.end();
    await database.drop();
  }
}

/**
 * What RabbitMQ alone carries on this machine: persistent messages published with confirms (a
 * window of 500 unconfirmed) into a quorum queue while one consumer (prefetch 100) acks them,
 * for `seconds`; the rate is what was consumed.
 */
export async function measureRabbitCeiling(options: { seconds: number }): Promise<Ceiling> {
  const connection = await amqp.connect(testServers.rabbitmqUrl);
  const queue = uniqueName('bench_ceiling');
  try {
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumer.prefetch(100);
    let consumed = 0;
    await consumer.consume(queue, (message) => {
      if (!message) return;
      consumed += 1;
      consumer.ack(message);
    });
    const body = Buffer.from(JSON.stringify({ eventType: 'ORDER_CREATED', data: { n: 1 } }));
    const until = performance.now() + options.seconds * 1000;
    const began = performance.now();
    while (performance.now() < until) {
      for (let index = 0; index < 500; index += 1)
        publisher.publish('', queue, body, { persistent: true });
      await publisher.waitForConfirms();
    }
    const elapsed = (performance.now() - began) / 1000;
    await consumer.close();
    await publisher.deleteQueue(queue);
    await publisher.close();
    return { perSecond: consumed / elapsed };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
