import { ConflictError, UnavailableError } from '@shop/service-kit';
import { Types, type FilterQuery, type SortOrder } from 'mongoose';
import {
  escapeRegex,
  offsetOf,
  type CatalogPage,
  type CatalogQuery,
  type CatalogSort,
} from '../domain/catalog-query';
import { isDatabaseUnreachable } from './connection';
import type { NewProduct, Product, ProductChanges } from '../domain/product';
import { productCreated, productDeleted, type PendingProductEvent } from '../domain/product-events';
import type { ProductDocument, ProductModel } from './product-model';

const LIVE = { deleted: false } as const;
const PUBLIC_FIELDS = {
  name: 1,
  description: 1,
  price: 1,
  category: 1,
  sku: 1,
  createdAt: 1,
  updatedAt: 1,
} as const;

type StoredProduct = Pick<ProductDocument, '_id' | keyof typeof PUBLIC_FIELDS>;

export function toProduct(document: StoredProduct): Product {
  return {
    id: document._id.toHexString(),
    name: document.name,
    description: document.description,
    price: document.price,
    category: document.category,
    sku: document.sku,
    createdAt: document.createdAt.toISOString(),
    updatedAt: document.updatedAt.toISOString(),
  };
}

// A tie-breaker on _id keeps pages stable when many products share a price or a name.
const SORTS: Record<CatalogSort, Record<string, SortOrder>> = {
  price: { price: 1, _id: 1 },
  '-price': { price: -1, _id: 1 },
  name: { name: 1, _id: 1 },
  newest: { createdAt: -1, _id: -1 },
};

export function catalogFilter(query: CatalogQuery): FilterQuery<ProductDocument> {
  const filter: FilterQuery<ProductDocument> = { ...LIVE };
  if (query.ids) filter._id = { $in: query.ids.map((id) => new Types.ObjectId(id)) };
  if (query.q) {
    const pattern = { $regex: escapeRegex(query.q), $options: 'i' };
    filter.$or = [{ name: pattern }, { description: pattern }];
  }
  if (query.category) filter.category = query.category;
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    filter.price = {
      ...(query.minPrice === undefined ? {} : { $gte: query.minPrice }),
      ...(query.maxPrice === undefined ? {} : { $lte: query.maxPrice }),
    };
  }
  return filter;
}

/** A database that cannot be reached is a 503 for the caller, not a 500. */
async function onDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnreachable(error)) {
      throw UnavailableError('The catalog database is unavailable', error);
    }
    throw error;
  }
}

function isDuplicateKey(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: unknown }).code === 11000
  );
}

function skuTaken(sku: string) {
  return ConflictError(`A product with sku ${sku} already exists`, { sku });
}

export async function findProduct(products: ProductModel, id: string): Promise<Product | null> {
  const document = await onDatabase(() =>
    products
      .findOne({ _id: new Types.ObjectId(id), ...LIVE }, PUBLIC_FIELDS)
      .lean<StoredProduct>()
      .exec(),
  );
  return document ? toProduct(document) : null;
}

/** The live products among `ids`, by id; unknown and deleted ones are absent. */
export async function findProducts(
  products: ProductModel,
  ids: readonly string[],
): Promise<Map<string, Product>> {
  const documents = await onDatabase(() =>
    products
      .find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, ...LIVE }, PUBLIC_FIELDS)
      .lean<StoredProduct[]>()
      .exec(),
  );
  return new Map(documents.map((document) => [document._id.toHexString(), toProduct(document)]));
}

export async function listProducts(
  products: ProductModel,
  query: CatalogQuery,
): Promise<CatalogPage<Product>> {
  const filter = catalogFilter(query);
  const [documents, total] = await onDatabase(() =>
    Promise.all([
      products
        .find(filter, PUBLIC_FIELDS)
        .sort(SORTS[query.sort])
        .skip(offsetOf(query))
        .limit(query.limit)
        .lean<StoredProduct[]>()
        .exec(),
      products.countDocuments(filter).exec(),
    ]),
  );
  return { items: documents.map(toProduct), page: query.page, limit: query.limit, total };
}

/** Inserts the product with its PRODUCT_CREATED event in the same document: one atomic write. */
export async function createProduct(
  products: ProductModel,
  input: NewProduct,
  correlationId: string | null,
): Promise<Product> {
  const _id = new Types.ObjectId();
  const event = productCreated(
    { productId: _id.toHexString(), sku: input.sku, initialStock: input.initialStock },
    correlationId,
  );
  try {
    const created = await onDatabase(() =>
      products.create({
        _id,
        name: input.name,
        description: input.description,
        price: input.price,
        category: input.category,
        sku: input.sku,
        pendingEvents: [event],
      }),
    );
    return toProduct(created);
  } catch (error) {
    if (isDuplicateKey(error)) throw skuTaken(input.sku);
    throw error;
  }
}

export async function updateProduct(
  products: ProductModel,
  id: string,
  changes: ProductChanges,
): Promise<Product | null> {
  const set = Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  );
  try {
    const updated = await onDatabase(() =>
      products
        .findOneAndUpdate(
          { _id: new Types.ObjectId(id), ...LIVE },
          { $set: set },
          { new: true, runValidators: true, projection: PUBLIC_FIELDS },
        )
        .lean<StoredProduct>()
        .exec(),
    );
    return updated ? toProduct(updated) : null;
  } catch (error) {
    if (isDuplicateKey(error) && changes.sku) throw skuTaken(changes.sku);
    throw error;
  }
}

/**
 * Marks the product deleted and queues PRODUCT_DELETED in the same update, so the event cannot
 * be lost between the write and the publish. False when there was no live product.
 */
export async function deleteProduct(
  products: ProductModel,
  id: string,
  correlationId: string | null,
): Promise<boolean> {
  const _id = new Types.ObjectId(id);
  // The event names the sku, read first; the update only applies if the sku is still that one,
  // and a concurrent rename sends us round again rather than announcing a stale sku.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const live = await onDatabase(() =>
      products
        .findOne({ _id, ...LIVE }, { sku: 1 })
        .lean<{ sku: string }>()
        .exec(),
    );
    if (!live) return false;
    const event = productDeleted({ productId: id, sku: live.sku }, correlationId);
    const result = await onDatabase(() =>
      products
        .updateOne(
          { _id, sku: live.sku, ...LIVE },
          { $set: { deleted: true, deletedAt: new Date() }, $push: { pendingEvents: event } },
        )
        .exec(),
    );
    if (result.modifiedCount === 1) return true;
  }
  throw ConflictError('The product changed while it was being deleted; try again');
}

export interface ProductWithPendingEvents {
  _id: Types.ObjectId;
  pendingEvents: PendingProductEvent[];
}

export function productsWithPendingEvents(
  products: ProductModel,
  limit: number,
): Promise<ProductWithPendingEvents[]> {
  return products
    .find({ 'pendingEvents.eventId': { $exists: true } }, { pendingEvents: 1 })
    .sort({ updatedAt: 1 })
    .limit(limit)
    .lean<ProductWithPendingEvents[]>()
    .exec();
}

export async function forgetPublishedEvent(
  products: ProductModel,
  productId: Types.ObjectId,
  eventId: string,
): Promise<void> {
  // Not touching updatedAt: publishing is bookkeeping, not a change to the product.
  await products
    .updateOne({ _id: productId }, { $pull: { pendingEvents: { eventId } } }, { timestamps: false })
    .exec();
}
