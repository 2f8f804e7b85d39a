import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXCHANGES, shopEvents, type ShopEventType } from '../src';

test('when the catalogue is read, then every event of docs/architecture.md ("Events") has its exchange and routing key', () => {
  const types = Object.keys(shopEvents.events) as ShopEventType[];
  const routes = Object.fromEntries(
    types.map((type) => {
      const { exchange, routingKey } = shopEvents.events[type];
      return [type, `${exchange}/${routingKey}`];
    }),
  );
  assert.deepEqual(routes, {
    ORDER_CREATED: 'orders/order.created',
    ORDER_CANCELLED: 'orders/order.cancelled',
    ORDER_CONFIRMED: 'orders/order.confirmed',
    ORDER_REJECTED: 'orders/order.rejected',
    INVENTORY_RESERVED: 'inventory/inventory.reserved',
    INVENTORY_REJECTED: 'inventory/inventory.rejected',
    INVENTORY_RELEASED: 'inventory/inventory.released',
    PRODUCT_CREATED: 'products/product.created',
    PRODUCT_DELETED: 'products/product.deleted',
    USER_REGISTERED: 'users/user.registered',
  });
  assert.deepEqual(shopEvents.exchanges, EXCHANGES);
});
