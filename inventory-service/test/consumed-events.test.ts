import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INVENTORY_CONSUMES } from '../src/events/consumers';

test('when inventory-service consumes an event, then the catalog marks it consumed, so a publish before its queue exists is kept, not dropped', () => {
  for (const type of INVENTORY_CONSUMES) assert.equal(shopEvents.events[type].consumed, true, type);
});
