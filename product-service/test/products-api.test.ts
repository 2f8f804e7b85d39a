import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  aProduct,
  adminToken,
  customerToken,
  startProductService,
  type ServiceUnderTest,
  useProductService,
} from './support';

describe('products API', () => {
  const service = useProductService();

  const create = (body: unknown) => service.http.post('/products', body, { token: adminToken });

  test('when an admin creates a product, then it is answered in the public shape and can be read back', async () => {
    const input = aProduct({ initialStock: 7 });

    const created = await create(input);

    assert.equal(created.status, 201, created.text);
    assert.match(created.body.id, /^[0-9a-f]{24}$/);
    assert.deepEqual(Object.keys(created.body).sort(), [
      'category',
      'createdAt',
      'description',
      'id',
      'name',
      'price',
      'sku',
      'updatedAt',
    ]);
    assert.equal(created.body.price, input.price);
    assert.equal(created.body.sku, input.sku);
    const read = await service.http.get(`/products/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
  });

  test('when a customer or nobody writes, then it is 403 or 401 and nothing changes', async () => {
    const asCustomer = await service.http.post('/products', aProduct(), { token: customerToken });
    const anonymous = await service.http.post('/products', aProduct());
    const existing = await create(aProduct());
    const patch = await service.http.patch(
      `/products/${existing.body.id}`,
      { price: 1 },
      { token: customerToken },
    );
    const remove = await service.http.delete(`/products/${existing.body.id}`);

    assert.equal(asCustomer.status, 403);
    assert.equal(anonymous.status, 401);
    assert.equal(patch.status, 403);
    assert.equal(remove.status, 401);
    assert.match(anonymous.headers.get('content-type') ?? '', /application\/problem\+json/);
    const after = await service.http.get(`/products/${existing.body.id}`);
    assert.equal(after.body.price, existing.body.price);
  });

  test('when an admin patches a product, then only the named fields change', async () => {
    const created = await create(aProduct({ price: 1000 }));

    const patched = await service.http.patch(
      `/products/${created.body.id}`,
      { price: 1250, name: 'Brass Desk Lamp' },
      { token: adminToken },
    );

    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.price, 1250);
    assert.equal(patched.body.name, 'Brass Desk Lamp');
    assert.equal(patched.body.sku, created.body.sku);
    assert.equal(patched.body.createdAt, created.body.createdAt);
  });

  test('when products are asked for by ids, then one read answers exactly those, and a price change is seen by the next read', async () => {
    const first = await create(aProduct({ price: 700 }));
    const second = await create(aProduct({ price: 900 }));
    const missing = '0123456789abcdef01234567';
    const ids = [second.body.id, missing, first.body.id].join(',');

    const before = await service.http.get(`/products?ids=${ids}`);
    await service.http.patch(`/products/${first.body.id}`, { price: 750 }, { token: adminToken });
    const after = await service.http.get(`/products?ids=${ids}`);

    assert.equal(before.status, 200, before.text);
    const prices = (body: { items: { id: string; price: number }[] }) =>
      Object.fromEntries(body.items.map((item) => [item.id, item.price]));
    assert.deepEqual(prices(before.body), { [first.body.id]: 700, [second.body.id]: 900 });
    assert.deepEqual(prices(after.body), { [first.body.id]: 750, [second.body.id]: 900 });
    const malformed = await service.http.get(`/products?ids=${first.body.id.toUpperCase()}`);
    assert.equal(malformed.status, 400, 'ids are refused in any but their canonical spelling');
  });

  test('when an admin deletes a product, then it is 204, gone from reads and lists, its sku free again', async () => {
    const input = aProduct({ category: 'gone-soon' });
    const created = await create(input);

    const removed = await service.http.delete(`/products/${created.body.id}`, {
      token: adminToken,
    });

    assert.equal(removed.status, 204);
    assert.equal((await service.http.get(`/products/${created.body.id}`)).status, 404);
    const list = await service.http.get('/products?category=gone-soon');
    assert.equal(list.body.total, 0);
    const again = await service.http.delete(`/products/${created.body.id}`, {
      token: adminToken,
    });
    assert.equal(again.status, 404);
    assert.equal((await create(input)).status, 201, 'the sku of a deleted product can be reused');
  });

  test('when a sku is taken, then creating or renaming to it is 409', async () => {
    const first = await create(aProduct());
    const second = await create(aProduct());

    const duplicate = await create(aProduct({ sku: first.body.sku }));
    const renamed = await service.http.patch(
      `/products/${second.body.id}`,
      { sku: first.body.sku },
      { token: adminToken },
    );

    assert.equal(duplicate.status, 409);
    assert.match(duplicate.body.detail, new RegExp(first.body.sku));
    assert.equal(renamed.status, 409);
  });

  test('when the id is well-formed but unknown, then every route answers 404', async () => {
    const id = '0123456789abcdef01234567';
    assert.equal((await service.http.get(`/products/${id}`)).status, 404);
    const patch = await service.http.patch(`/products/${id}`, { price: 1 }, { token: adminToken });
    assert.equal(patch.status, 404);
    assert.equal((await service.http.delete(`/products/${id}`, { token: adminToken })).status, 404);
  });

  test('when the id is not 24 lower-case hex digits, then every route answers 400 on the path', async () => {
    const created = await service.http.post('/products', aProduct(), { token: adminToken });
    assert.equal(created.status, 201);
    const misspelt = [
      'not-an-id',
      '123',
      'zzzzzzzzzzzzzzzzzzzzzzzz',
      String(created.body.id).toUpperCase(),
      '%00',
      '%ED%A0%80',
    ];
    for (const id of misspelt) {
      const read = await service.http.get(`/products/${id}`);
      assert.equal(read.status, 400, id);
      assert.match(read.headers.get('content-type') ?? '', /problem\+json/, id);
      const patch = await service.http.patch(
        `/products/${id}`,
        { price: 1 },
        { token: adminToken },
      );
      assert.equal(patch.status, 400, id);
      const remove = await service.http.delete(`/products/${id}`, { token: adminToken });
      assert.equal(remove.status, 400, id);
    }
    assert.equal((await service.http.get(`/products/${created.body.id}`)).status, 200);
  });

  test('when an admin names a product with a NUL or a lone surrogate, then 400 and nothing is saved', async () => {
    for (const name of ['Lamp\u0000', 'Lamp\ud800']) {
      const marker = `marker-${process.pid}-${name.length}-${Date.now()}`;
      const product = aProduct({ name, description: marker });
      const response = await service.http.post('/products', product, { token: adminToken });
      assert.equal(response.status, 400);
      assert.equal(response.body.errors[0].path, 'name');
      const found = await service.http.get(`/products?q=${marker}`);
      assert.equal(found.body.total, 0);
    }
  });

  test('when a body smuggles operators, unknown fields or non-integer money, then it is 400', async () => {
    const bodies = [
      { ...aProduct(), price: { $gt: 0 } },
      { ...aProduct(), sku: { $ne: 'x' } },
      { ...aProduct(), price: 12.5 },
      { ...aProduct(), price: '1000' },
      { ...aProduct(), price: -1 },
      { ...aProduct(), $where: 'sleep(1000)' },
      { ...aProduct(), deleted: true },
      { ...aProduct(), name: '' },
    ];
    for (const body of bodies) {
      const answer = await create(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.ok(Array.isArray(answer.body.errors), answer.text);
    }
    const created = await create(aProduct());
    for (const body of [
      { price: { $inc: 5 } },
      { name: { $set: 'x' } },
      {},
      { pendingEvents: [] },
    ]) {
      const answer = await service.http.patch(`/products/${created.body.id}`, body, {
        token: adminToken,
      });
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
  });

  test('when a query smuggles operators or repeats a parameter, then it is 400', async () => {
    for (const query of [
      'q[$ne]=x',
      'q[$regex]=.*',
      'category[$ne]=books',
      'minPrice[$gt]=0',
      'q=a&q=b',
      'sort=password',
      'page=0',
      'minPrice=abc',
      'minPrice=',
      'minPrice=500&maxPrice=100',
      'unknown=1',
    ]) {
      const answer = await service.http.get(`/products?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.status, 400);
    }
  });

  test('when a client asks for more than 100 per page, then it is 400; 100 and the default of 20 hold', async () => {
    const tooMany = await service.http.get('/products?limit=101');
    const most = await service.http.get('/products?limit=100');
    const byDefault = await service.http.get('/products');

    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.errors[0].path, 'limit');
    assert.equal(most.status, 200);
    assert.equal(most.body.limit, 100);
    assert.equal(byDefault.body.limit, 20);
    assert.equal(byDefault.body.page, 1);
  });
});

describe('catalog search', () => {
  let service: ServiceUnderTest;
  const category = 'garden';

  before(async () => {
    service = await startProductService();
    const products = [
      aProduct({ name: 'Garden Hose 20 m', description: 'Flexible hose', price: 2999, category }),
      aProduct({
        name: 'Watering Can',
        description: 'Galvanised steel, 10 l',
        price: 1999,
        category,
      }),
      aProduct({
        name: 'Pruning Shears',
        description: 'Bypass blades for the GARDEN',
        price: 2499,
        category,
      }),
      aProduct({ name: 'Rake (wide)', description: 'Leaf rake', price: 1499, category }),
      aProduct({ name: 'Seed Tray', description: 'Pack of 5 trays', price: 899, category }),
      aProduct({ name: 'Garden Gnome', description: 'Decor', price: 1299, category: 'decor' }),
    ];
    for (const product of products) {
      const answer = await service.http.post('/products', product, { token: adminToken });
      assert.equal(answer.status, 201, answer.text);
    }
  });
  after(async () => {
    await service.close();
  });

  const names = (body: { items: { name: string }[] }) => body.items.map((item) => item.name);

  test('when searching by text, then name and description match case-insensitively', async () => {
    const answer = await service.http.get('/products?q=gArDeN');

    assert.equal(answer.status, 200);
    assert.deepEqual(names(answer.body).sort(), [
      'Garden Gnome',
      'Garden Hose 20 m',
      'Pruning Shears',
    ]);
    assert.equal(answer.body.total, 3);
  });

  test('when the search text holds regex metacharacters, then they match literally', async () => {
    const literal = await service.http.get(`/products?q=${encodeURIComponent('(wide)')}`);
    const wildcard = await service.http.get(`/products?q=${encodeURIComponent('.*')}`);

    assert.deepEqual(names(literal.body), ['Rake (wide)']);
    assert.equal(wildcard.body.total, 0);
  });

  test('when filtering by category and price range and sorting by price, then the page is right', async () => {
    const answer = await service.http.get(
      `/products?category=GARDEN&minPrice=1000&maxPrice=2500&sort=-price`,
    );

    assert.deepEqual(names(answer.body), ['Pruning Shears', 'Watering Can', 'Rake (wide)']);
    assert.equal(answer.body.total, 3);
  });

  test('when paging by name, then pages split the sorted list and total counts all of it', async () => {
    const first = await service.http.get(`/products?category=${category}&sort=name&limit=2`);
    const second = await service.http.get(
      `/products?category=${category}&sort=name&limit=2&page=2`,
    );
    const last = await service.http.get(`/products?category=${category}&sort=name&limit=2&page=3`);

    assert.deepEqual(names(first.body), ['Garden Hose 20 m', 'Pruning Shears']);
    assert.deepEqual(names(second.body), ['Rake (wide)', 'Seed Tray']);
    assert.deepEqual(names(last.body), ['Watering Can']);
    assert.deepEqual([first.body.total, first.body.page, first.body.limit], [5, 1, 2]);
    assert.equal(second.body.page, 2);
  });

  test('when sorting by price and by newest, then the order follows', async () => {
    const cheapest = await service.http.get(`/products?category=${category}&sort=price&limit=1`);
    const newest = await service.http.get(`/products?category=${category}&limit=1`);

    assert.deepEqual(names(cheapest.body), ['Seed Tray']);
    assert.deepEqual(names(newest.body), ['Seed Tray']);
    const oldestFirst = await service.http.get(`/products?category=${category}&sort=newest`);
    assert.equal(names(oldestFirst.body).at(-1), 'Garden Hose 20 m');
  });
});
