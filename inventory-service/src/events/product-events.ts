import type { ShopEventData } from '@shop/contracts';
import type { Queryable } from '@shop/postgres';
import { createStock, markDeleted } from '../db/stock';

/** PRODUCT_CREATED: the product gets its stock row with the catalog's initial stock, once. */
export function productCreated(tx: Queryable, product: ShopEventData<'PRODUCT_CREATED'>) {
  return createStock(tx, product.productId, product.initialStock ?? 0);
}

/** PRODUCT_DELETED: the product is no longer sold; its rows stay for the audit trail. */
export function productDeleted(tx: Queryable, product: ShopEventData<'PRODUCT_DELETED'>) {
  return markDeleted(tx, product.productId);
}
