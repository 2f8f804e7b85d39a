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

// Enough parallel reads to price a 100-line order quickly without flooding product-service.
const PARALLEL_READS = 10;

/** The catalog is product-service's `GET /products/:id`, behind a timeout and circuit breaker. */
export function productCatalogOverHttp(
  options: Pick<UpstreamClientOptions, 'baseURL' | 'timeoutMs' | 'retries' | 'breaker'>,
): ProductCatalog {
  const client = new UpstreamClient({ name: 'product-service', ...options });

  async function findProduct(id: string): Promise<CatalogProduct | undefined> {
    const response = await client.get<unknown>(`/products/${encodeURIComponent(id)}`);
    // product-service answers 400 for an id that cannot be one of its ids: unknown just the same.
    if (response.status === 404 || response.status === 400) return undefined;
    const product = productSchema.safeParse(response.data);
    if (response.status !== 200 || !product.success) {
      throw UnavailableError(`product-service gave an unusable answer (${response.status})`);
    }
    return { id, name: product.data.name, price: product.data.price };
  }

  return {
    async findProducts(ids) {
      const found = new Map<string, CatalogProduct>();
      for (let start = 0; start < ids.length; start += PARALLEL_READS) {
        const batch = ids.slice(start, start + PARALLEL_READS);
        const products = await Promise.all(batch.map(findProduct));
        products.forEach((product) => product && found.set(product.id, product));
      }
      return found;
    },
    close: () => client.shutdown(),
  };
}
