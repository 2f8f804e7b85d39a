import { UnavailableError, UpstreamClient, type UpstreamClientOptions } from '@shop/service-kit';
import { z } from 'zod';
import type { CatalogProduct } from '../domain/pricing';

/** Where order-service learns the current name and price of products. */
export interface ProductCatalog {
  /** The products the catalog knows, by id; ids it does not know are simply absent. */
  findProducts(ids: readonly string[]): Promise<Map<string, CatalogProduct>>;
  close(): void;
}

const productSchema = z.object({
  id: z.string(),
  name: z.string(),
  price: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
const pageSchema = z.object({ items: z.array(productSchema) });

// product-service's ids filter takes at most a page (100) of ids, which is also the most lines an
// order may have; an order naming more distinct products than that is priced in several reads.
const IDS_PER_READ = 100;

// Enough for any catalog's busy products; past it the cache starts afresh rather than growing.
const MAX_CACHED_PRODUCTS = 10_000;

export interface ProductCatalogOptions extends Pick<
  UpstreamClientOptions,
  'baseURL' | 'timeoutMs' | 'retries' | 'breaker'
> {
  /**
   * How long a product read from product-service prices later orders in this process: a price
   * change is seen within it (0: every order asks product-service).
   */
  priceCacheMs: number;
  /** For tests: the clock of the price cache. */
  now?: () => number;
}

/**
 * The catalog is product-service's `GET /products?ids=...`, behind a timeout and circuit breaker:
 * one request prices a whole order's uncached products, over a kept-alive connection. A product
 * read prices this process's orders for `priceCacheMs` more, so the hot products of a busy shop
 * cost no request at all; product-service's own cache is invalidated by every write, so a price
 * change is seen by every order within `priceCacheMs` (see product-service/README.md). Unknown
 * products are not remembered: a product created a moment ago is found by the next order.
 */
export function productCatalogOverHttp(options: ProductCatalogOptions): ProductCatalog {
  const { priceCacheMs, now = Date.now, ...upstream } = options;
  const client = new UpstreamClient({ name: 'product-service', ...upstream });
  const cached = new Map<string, { product: CatalogProduct; until: number }>();

  /**
   * Kept until `priceCacheMs` after the read was asked for (not answered: a slow answer may
   * already be old), and never over an entry of a later read, which may hold a newer price.
   */
  function remember(products: CatalogProduct[], askedAt: number): void {
    if (priceCacheMs === 0) return;
    if (cached.size + products.length > MAX_CACHED_PRODUCTS) cached.clear();
    const until = askedAt + priceCacheMs;
    for (const product of products) {
      const known = cached.get(product.id);
      if (!known || known.until < until) cached.set(product.id, { product, until });
    }
  }

  async function findSome(ids: readonly string[]): Promise<CatalogProduct[]> {
    const response = await client.get<unknown>('/products', {
      params: { ids: ids.join(','), limit: IDS_PER_READ },
    });
    // 400: some id cannot be one of product-service's ids, so none of them is a product to sell
    // (the order body's own id rule normally refuses such an order before it gets here).
    if (response.status === 400) return [];
    const page = pageSchema.safeParse(response.data);
    if (response.status !== 200 || !page.success) {
      throw UnavailableError(`product-service gave an unusable answer (${response.status})`);
    }
    return page.data.items;
  }

  return {
    async findProducts(ids) {
      const found = new Map<string, CatalogProduct>();
      const wanted: string[] = [];
      const at = now();
      for (const id of new Set(ids)) {
        const entry = cached.get(id);
        if (entry && entry.until > at) found.set(id, entry.product);
        else wanted.push(id);
      }
      for (let start = 0; start < wanted.length; start += IDS_PER_READ) {
        const askedAt = now();
        const products = (await findSome(wanted.slice(start, start + IDS_PER_READ))).map(
          ({ id, name, price }) => ({ id, name, price }),
        );
        remember(products, askedAt);
        for (const product of products) found.set(product.id, product);
      }
      return found;
    },
    close: () => client.shutdown(),
  };
}
