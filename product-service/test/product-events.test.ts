import type { ShopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RabbitConnection } from '@shop/messaging';
import { createMetricsRegistry } from '@shop/service-kit';
import { brokerNamespace, startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import { Types } from 'mongoose';
import type { ProductEventPublisher } from '../src/events/product-event-relay';
import { seedCatalog } from '../src/seed';
import {
  aProduct,
  adminToken,
  logger,
  startProductService,
  tapProductEvents,
  type ServiceUnderTest,
} from './support';

describe('product events', () => {
  const broker = brokerNamespace('product_events');
  let proxy: TcpProxy;
  let rabbit: RabbitConnection<ShopEvents>;
  let service: ServiceUnderTest;
  let tap: Awaited<ReturnType<typeof tapProductEvents>>;
  let publisher: ProductEventPublisher;
  // Set by a test to make the relay "crash" right after the broker confirmed a publish.
  let crashAfterPublish = false;

  before(async () => {
    tap = await tapProductEvents(broker.namespace);
    const rabbitmq = new URL(testServers.rabbitmqUrl);
    proxy = await startTcpProxy({ host: rabbitmq.hostname, port: Number(rabbitmq.port || 5672) });
    rabbit = broker.connect(
      { logger, metrics: createMetricsRegistry('product-service-broker') },
      {
        url: proxy.wrap(testServers.rabbitmqUrl),
        reconnectDelayMs: 50,
        maxReconnectDelayMs: 200,
        publishTimeoutMs: 500,
      },
    );
    await rabbit.waitUntilConnected(5000);
    publisher = {
      publish: async (type, data, options) => {
        const envelope = await rabbit.publish(type, data, options);
        if (crashAfterPublish) {
          crashAfterPublish = false;
          throw new Error('crashed before the event was marked published');
        }
        return envelope;
      },
    };
    service = await startProductService({ publisher, relayIntervalMs: 50 });
  });
  after(async () => {
    await service.close();
    await rabbit.close();
    await proxy.close();
    await tap.close();
    await broker.delete();
  });

  const eventsOf = (productId: string) =>
    tap.received.filter((event) => event.data.productId === productId);
  const pendingOf = async (productId: string) =>
    (await service.database.products.findById(productId).lean().exec())?.pendingEvents ?? [];

  test('when an admin creates a product, then PRODUCT_CREATED with its initial stock reaches a bound queue and leaves the outbox', async () => {
    const input = aProduct({ initialStock: 12 });

    const created = await service.http.post('/products', input, {
      token: adminToken,
      headers: { 'x-request-id': 'create-lamp-1' },
    });

    assert.equal(created.status, 201);
    const [event] = await waitFor(() => {
      const found = eventsOf(created.body.id);
      return found.length > 0 && found;
    });
    assert.equal(event!.eventType, 'PRODUCT_CREATED');
    assert.deepEqual(event!.data, { productId: created.body.id, sku: input.sku, initialStock: 12 });
    assert.match(event!.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(event!.correlationId, 'create-lamp-1');
    await waitFor(async () => (await pendingOf(created.body.id)).length === 0, {
      what: 'the outbox entry to be removed',
    });
  });

  test('when an admin deletes a product, then PRODUCT_DELETED follows its PRODUCT_CREATED', async () => {
    const input = aProduct();
    const created = await service.http.post('/products', input, { token: adminToken });

    await service.http.delete(`/products/${created.body.id}`, { token: adminToken });

    const events = await waitFor(() => {
      const found = eventsOf(created.body.id);
      return found.length === 2 && found;
    });
    assert.deepEqual(
      events.map((event) => event.eventType),
      ['PRODUCT_CREATED', 'PRODUCT_DELETED'],
    );
    assert.deepEqual(events[1]!.data, { productId: created.body.id, sku: input.sku });
  });

  test('when the broker is away, then writes still succeed and their events are published once it is back', async () => {
    proxy.cut();
    await waitFor(() => !rabbit.isConnected(), { what: 'the broker to be gone' });

    const created = await service.http.post('/products', aProduct(), { token: adminToken });

    assert.equal(created.status, 201);
    assert.equal((await pendingOf(created.body.id)).length, 1, 'the event waits in the document');
    assert.equal(eventsOf(created.body.id).length, 0);
    proxy.restore();
    await waitFor(() => eventsOf(created.body.id).length === 1, { timeoutMs: 15_000 });
    await waitFor(async () => (await pendingOf(created.body.id)).length === 0);
  });

  test('when the relay stops between the publish and the bookkeeping, then the event is published again with the same id', async () => {
    crashAfterPublish = true;

    const created = await service.http.post('/products', aProduct(), { token: adminToken });

    const events = await waitFor(() => {
      const found = eventsOf(created.body.id);
      return found.length === 2 && found;
    });
    assert.equal(events[0]!.eventId, events[1]!.eventId, 'consumers dedupe it by this id');
    await waitFor(async () => (await pendingOf(created.body.id)).length === 0);
  });

  test('when one stored event is invalid, then it stays put and does not hold up the others', async () => {
    const broken = new Types.ObjectId();
    await service.database.products.collection.insertOne({
      _id: broken,
      ...aProduct(),
      deleted: false,
      deletedAt: null,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      pendingEvents: [
        {
          eventId: randomUUID(),
          type: 'PRODUCT_CREATED',
          data: { productId: broken.toHexString(), sku: '' },
          correlationId: null,
        },
      ],
    });

    const created = await service.http.post('/products', aProduct(), { token: adminToken });

    await waitFor(() => eventsOf(created.body.id).length === 1);
    assert.equal((await pendingOf(broken.toHexString())).length, 1);
    assert.equal(eventsOf(broken.toHexString()).length, 0);
    await service.database.products.deleteOne({ _id: broken });
  });

  test('when the demo catalog is seeded twice, then each product is announced exactly once', async () => {
    const catalog = [
      aProduct({ initialStock: 3 }),
      aProduct({ initialStock: 4 }),
      aProduct({ initialStock: 5 }),
    ];

    const first = await seedCatalog(service.database.products, { catalog });
    const second = await seedCatalog(service.database.products, { catalog });

    assert.deepEqual(first, { created: 3, unchanged: 0 });
    assert.deepEqual(second, { created: 0, unchanged: 3 });
    service.relay.nudge();
    const skus = catalog.map((product) => product.sku);
    const announced = () => tap.received.filter((event) => skus.includes(String(event.data.sku)));
    await waitFor(() => announced().length >= 3);
    await waitFor(async () => {
      const documents = await service.database.products.find({ sku: { $in: skus } }).lean();
      return documents.every((document) => document.pendingEvents.length === 0);
    });
    assert.equal(announced().length, 3);
    assert.deepEqual(
      announced()
        .map((event) => event.data.initialStock)
        .sort(),
      [3, 4, 5],
    );
  });
});

describe('product events before inventory has declared its queue', () => {
  const broker = brokerNamespace('product_events_early');
  let rabbit: RabbitConnection<ShopEvents>;
  let service: ServiceUnderTest;

  before(async () => {
    rabbit = broker.connect({ logger, metrics: createMetricsRegistry('product-service-early') });
    await rabbit.waitUntilConnected(5000);
    service = await startProductService({
      publisher: { publish: (type, data, options) => rabbit.publish(type, data, options) },
      relayIntervalMs: 50,
    });
  });
  after(async () => {
    await service.close();
    await rabbit.close();
    await broker.delete();
  });

  test('when a product is created while no queue takes PRODUCT_CREATED, then the event waits in its document and goes out once a queue is bound', async () => {
    const created = await service.http.post('/products', aProduct(), { token: adminToken });
    assert.equal(created.status, 201, created.text);
    const stored = () =>
      service.database.products.collection.findOne({ _id: new Types.ObjectId(created.body.id) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await stored())?.['pendingEvents']?.length, 1, 'still waiting after 10 rounds');

    const tap = await tapProductEvents(broker.namespace);
    try {
      await waitFor(() => tap.received.some((event) => event.data.productId === created.body.id), {
        what: 'PRODUCT_CREATED once a queue takes it',
      });
      await waitFor(async () => (await stored())?.['pendingEvents']?.length === 0, {
        what: 'the event pulled from the document',
      });
    } finally {
      await tap.close();
    }
  });
});
