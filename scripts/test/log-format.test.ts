import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatLogLine } from '../system/log-format';

const now = new Date('2026-12-01T20:31:05.250Z');

describe("npm start's log lines", () => {
  // Each: what a service printed as JSON, and the line npm start shows for it.
  const logged = [
    {
      name: 'when a request is logged, then the line has its time, the route and outcome, and the full request and trace ids',
      entry: {
        level: 'info',
        time: '2026-12-01T20:31:04.125Z',
        service: 'order-service',
        requestId: '3f6c2a9e-41d2-4c7b-9a55-1f0e2b7c8d90',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
        span_id: '00f067aa0ba902b7',
        req: { method: 'POST', url: '/api/v1/orders' },
        res: { statusCode: 201 },
        responseTime: 35,
        msg: 'request completed',
      },
      shown:
        '20:31:04.125 info  POST /api/v1/orders 201 35ms request=3f6c2a9e-41d2-4c7b-9a55-1f0e2b7c8d90 trace=4bf92f3577b34da6a3ce929d0e0e4736',
    },
    {
      name: 'when a saga step is logged, then its order id and outcome are shown beside the message',
      entry: {
        level: 'info',
        time: '2026-12-01T20:31:04.500Z',
        orderId: 'o-42',
        result: 'reserved',
        requestId: 'req-7',
        queue: 'inventory-order-events',
        msg: 'order reservation',
      },
      shown: '20:31:04.500 info  order reservation orderId=o-42 result=reserved request=req-7',
    },
    {
      name: 'when an error is logged, then its reason and message are shown',
      entry: {
        level: 'error',
        time: '2026-12-01T20:31:04.900Z',
        reason: 'max-attempts',
        error: 'Error: stock ledger unreachable',
        err: { message: 'stock ledger unreachable' },
        msg: 'Event dead-lettered',
      },
      shown:
        '20:31:04.900 error Event dead-lettered reason=max-attempts error="Error: stock ledger unreachable" - stock ledger unreachable',
    },
  ];
  for (const { name, entry, shown } of logged) {
    test(name, () => {
      assert.equal(formatLogLine(JSON.stringify(entry), now), shown);
    });
  }

  test('when a line is not JSON, then it passes through with the time in front', () => {
    assert.equal(
      formatLogLine('    at Object.<anonymous> (main.ts:3)', now),
      '20:31:05.250     at Object.<anonymous> (main.ts:3)',
    );
    assert.equal(formatLogLine('{not json', now), '20:31:05.250 {not json');
  });
});
