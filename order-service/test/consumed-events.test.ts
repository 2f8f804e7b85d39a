import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER_SERVICE_CONSUMES } from '../src/events/order-consumers';

test('when order-service consumes an event, then the catalog marks it consumed, so a publish before its queue exists is kept, not dropped', () => {
  for (const type of ORDER_SERVICE_CONSUMES)
    assert.equal(shopEvents.events[type].consumed, true, type);
});
