import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createPool, databaseUrl, type Pool } from '@shop/postgres';
import { call, testServers, uniqueName, waitFor } from '@shop/testkit';
import { SERVICES } from '../scripts/system/services';
import { requestsFor, type FuzzContext, type FuzzRequest } from './fuzz-requests';
import type { OpenApiDocument } from './openapi-conformance';
import { startShop, type Shop } from './support';

// Property-based fuzzing of every operation of the OpenAPI document, against the whole system as
// processes. FUZZ_SEED replays a run (a failure prints its seed and the smallest failing request);
// FUZZ_RUNS sets the requests per operation (CI keeps the default, which stays well under two
// minutes on two cores).
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 20);
// A loaded machine answers slower, not worse: past this budget each operation gets what is left.
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 90_000);

let shop: Shop;
let gateway: string;
let document: OpenApiDocument;
let context: FuzzContext;
let adminToken: string;
const pools: Pool[] = [];

/** What a rejected request must leave as it was. */
async function snapshot() {
  const [users, orders, stock] = await Promise.all([
    pools[0]!.query<{ n: string }>('SELECT count(*) AS n FROM users'),
    pools[1]!.query<{ n: string }>('SELECT count(*) AS n FROM orders'),
    pools[2]!.query<{ n: string; units: string | null; reserved: string | null }>(
      'SELECT count(*) AS n, sum(available) AS units, sum(reserved) AS reserved FROM stock',
    ),
  ]);
  const products = await call(gateway, 'GET', '/api/products?limit=1');
  return {
    users: Number(users.rows[0]!.n),
    orders: Number(orders.rows[0]!.n),
    products: Number(products.body.total),
    stockRows: Number(stock.rows[0]!.n),
    stockAvailable: Number(stock.rows[0]!.units ?? 0),
    stockReserved: Number(stock.rows[0]!.reserved ?? 0),
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/**
 * After an accepted write, events may still be moving stock: wait until every live product has
 * its stock row (PRODUCT_CREATED crosses two relays and a queue) and a second of looks agree.
 */
async function settledSnapshot(): Promise<Snapshot> {
  let previous = await snapshot();
  let agreeing = 0;
  for (let attempt = 0; attempt < 60 && agreeing < 4; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const current = await snapshot();
    const same = JSON.stringify(current) === JSON.stringify(previous);
    agreeing = same && current.stockRows >= current.products ? agreeing + 1 : 0;
    previous = current;
  }
  return previous;
}

function processesAlive(): string[] {
  const dead: string[] = [];
  for (const { name } of SERVICES) {
    const pid = shop.system.pid(name);
    try {
      if (pid === undefined) throw new Error('no pid');
      process.kill(pid, 0);
    } catch {
      dead.push(name);
    }
  }
  return dead;
}

async function send(request: FuzzRequest) {
  const response = await fetch(`${gateway}${request.url}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body ? { body: request.body } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

const clip = (text: string) =>
  text.length > 120 ? `${text.slice(0, 80)}... (${text.length} characters)` : text;

/** A request as a reader can take it in: long values clipped, the body as text. */
function describeRequest(request: FuzzRequest): string {
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${clip(value)}`);
  const body = request.body ? JSON.stringify(clip(request.body.toString('utf8'))) : 'no body';
  return `${request.method} ${clip(request.url)} [${headers.join('; ')}] ${body}`;
}

let state: Snapshot;

/** The property every request must keep, whatever it is. */
async function holds(request: FuzzRequest): Promise<void> {
  const answer = await send(request);
  const label = `${answer.status} ${answer.contentType} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status < 500, `answered ${label}`);
  if (answer.status >= 400) {
    assert.match(answer.contentType, /^application\/problem\+json/, `answered ${label}`);
    const problem = JSON.parse(answer.text) as { status: number; title: string; detail: string };
    assert.equal(problem.status, answer.status, label);
    assert.equal(typeof problem.detail, 'string', label);
  }
  assert.deepEqual(processesAlive(), [], 'every service is still running');
  if (answer.status >= 400) {
    assert.deepEqual(
      await snapshot(),
      state,
      `a rejected request changed nothing (${answer.status})`,
    );
  } else {
    state = await settledSnapshot();
  }
}

before(async () => {
  shop = await startShop();
  gateway = shop.system.urls['api-gateway'];
  document = (await call(gateway, 'GET', '/api/docs/openapi.json')).body as OpenApiDocument;
  for (const name of [shop.databases.users, shop.databases.orders, shop.databases.inventory]) {
    pools.push(createPool(databaseUrl(testServers.postgresUrl, name), { max: 2 }));
  }
  adminToken = await shop.adminToken();
  const customer = await shop.signUp('fuzz');
  const product = await shop.createProduct(adminToken, {
    name: 'Fuzz lamp',
    price: 999,
    initialStock: 50,
  });
  const order = await shop.postOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
  assert.equal(order.status, 201, order.text);
  await shop.finalOrder(order.body.id, customer.token);
  context = {
    ids: [product.id, order.body.id, customer.id, uniqueName('missing')],
    tokens: [customer.token, adminToken],
  };
  state = await settledSnapshot();
});
after(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await shop?.stop();
});

describe('the gateway under generated and hostile requests', () => {
  test(`when every documented operation gets up to ${RUNS_PER_OPERATION} generated requests (seed ${SEED}), then each answer is below 500, a 4xx is problem details, no process exits and a refusal changes nothing`, async (t) => {
    const failures: string[] = [];
    const operations = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({ template, method })),
    );
    const deadline = Date.now() + BUDGET_MS;
    let sent = 0;
    for (const [index, { template, method }] of operations.entries()) {
      const share = (deadline - Date.now()) / (operations.length - index);
      const details = await fc.check(
        fc.asyncProperty(requestsFor(document, template, method, context), holds),
        {
          seed: SEED,
          numRuns: RUNS_PER_OPERATION,
          // Shrinking replays requests against a live system: bounded, it still finds a small case.
          interruptAfterTimeLimit: Math.max(3_000, share),
          endOnFailure: false,
        },
      );
      sent += details.numRuns;
      if (details.interrupted)
        t.diagnostic(
          `${method} ${template}: ${details.numRuns} requests in its share of the budget`,
        );
      if (details.failed) {
        const error = details.errorInstance;
        failures.push(
          [
            `${method.toUpperCase()} ${template}: seed ${details.seed}, path "${details.counterexamplePath}" (FUZZ_SEED=${details.seed} replays it)`,
            `  ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
            `  smallest failing request: ${describeRequest(details.counterexample![0])}`,
          ].join('\n'),
        );
        state = await settledSnapshot();
      }
    }
    t.diagnostic(`${sent} generated requests over ${operations.length} operations`);
    assert.ok(sent >= operations.length, 'every operation got at least one request');
    assert.equal(failures.length, 0, failures.join('\n\n'));
  });

  test('when the fuzzing is over, then the system still serves a normal order', async () => {
    await waitFor(async () => (await call(gateway, 'GET', '/ready')).status === 200, {
      what: 'ready',
    });
    const customer = await shop.signUp('after-fuzz');
    // The fuzzed logouts may have ended the admin's session (as they should): log in anew.
    const product = await shop.createProduct(await shop.adminToken(), {
      name: 'After fuzz',
      price: 100,
      initialStock: 1,
    });
    const order = await shop.postOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    assert.equal(order.status, 201, order.text);
    assert.equal((await shop.finalOrder(order.body.id, customer.token)).status, 'CONFIRMED');
  });
});
