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

/**
 * The catalog is product-service's `GET /products?ids=...`, behind a timeout and circuit breaker:
 * one request prices a whole order, over a kept-alive connection. Prices are read at the moment
 * of ordering; product-service's cache is invalidated by every write, so a price change is seen
 * by the next order (see product-service/README.md for the cache's guarantees).
 */
export function productCatalogOverHttp(
  options: Pick<UpstreamClientOptions, 'baseURL' | 'timeoutMs' | 'retries' | 'breaker'>,
): ProductCatalog {
  const client = new UpstreamClient({ name: 'product-service', ...options });

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
      const wanted = [...new Set(ids)];
      const found = new Map<string, CatalogProduct>();
      for (let start = 0; start < wanted.length; start += IDS_PER_READ) {
        const products = await findSome(wanted.slice(start, start + IDS_PER_READ));
        for (const { id, name, price } of products) found.set(id, { id, name, price });
      }
      return found;
    },
    close: () => client.shutdown(),
  };
}
