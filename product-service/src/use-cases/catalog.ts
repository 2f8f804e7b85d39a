import { currentRequestId, NotFoundError } from '@shop/service-kit';
import type { CatalogCache } from '../cache/catalog-cache';
import * as store from '../db/products';
import type { ProductModel } from '../db/product-model';
import type { CatalogPage, CatalogQuery } from '../domain/catalog-query';
import { canonicalQuery, isIdLookup, pageOf } from '../domain/catalog-query';
import type { NewProduct, Product, ProductChanges } from '../domain/product';
import { isProductId } from '../domain/product';

export interface Catalog {
  findProduct(id: string): Promise<Product>;
  listProducts(query: CatalogQuery): Promise<CatalogPage<Product>>;
  createProduct(input: NewProduct): Promise<Product>;
  updateProduct(id: string, changes: ProductChanges): Promise<Product>;
  deleteProduct(id: string): Promise<void>;
}

const notFound = (id: string) => NotFoundError(`Product ${id} does not exist`);

/**
 * Reads go through the cache; every write goes to MongoDB, then invalidates the cache and wakes
 * the event relay (the event itself is already stored with the change).
 */
export function createCatalog(deps: {
  products: ProductModel;
  cache: CatalogCache;
  onEventsQueued?: () => void;
}): Catalog {
  const { products, cache } = deps;
  const correlationId = () => currentRequestId() ?? null;

  async function changed(eventsQueued: boolean) {
    await cache.catalogChanged();
    if (eventsQueued) deps.onEventsQueued?.();
  }

  return {
    async findProduct(id) {
      if (!isProductId(id)) throw notFound(id);
      const product = await cache.read('product', id, () => store.findProduct(products, id));
      if (!product) throw notFound(id);
      return product;
    },

    async listProducts(query) {
      // Pricing an order asks for its products by id: those come from the per-product entries,
      // so every combination of products does not need a cached page of its own.
      if (isIdLookup(query)) {
        const found = await cache.readProducts(query.ids, (missing) =>
          store.findProducts(products, missing),
        );
        return pageOf([...found.values()], query);
      }
      return cache.read('list', canonicalQuery(query), () => store.listProducts(products, query));
    },

    async createProduct(input) {
      const product = await store.createProduct(products, input, correlationId());
      await changed(true);
      return product;
    },

    async updateProduct(id, changes) {
      if (!isProductId(id)) throw notFound(id);
      const product = await store.updateProduct(products, id, changes);
      if (!product) throw notFound(id);
      await changed(false);
      return product;
    },

    async deleteProduct(id) {
      if (!isProductId(id)) throw notFound(id);
      if (!(await store.deleteProduct(products, id, correlationId()))) throw notFound(id);
      await changed(true);
    },
  };
}
