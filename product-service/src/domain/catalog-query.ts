import type { CATALOG_SORTS, catalogQuery } from '@shop/contracts';
import type { z } from 'zod';
import type { Product } from './product';

export type CatalogSort = (typeof CATALOG_SORTS)[number];
export type CatalogQuery = z.output<typeof catalogQuery>;

export interface CatalogPage<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

/** Makes user text match literally inside a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Entries to skip before the requested page. */
export function offsetOf(query: Pick<CatalogQuery, 'page' | 'limit'>): number {
  return (query.page - 1) * query.limit;
}

/**
 * One spelling per distinct query, so equal queries share a cache entry whatever the order or
 * the defaults of their parameters.
 */
export function canonicalQuery(query: CatalogQuery): string {
  const parts: [string, string | number | undefined][] = [
    ['ids', query.ids?.join(',')],
    ['q', query.q === '' ? undefined : query.q],
    ['category', query.category],
    ['minPrice', query.minPrice],
    ['maxPrice', query.maxPrice],
    ['sort', query.sort],
    ['page', query.page],
    ['limit', query.limit],
  ];
  return parts
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** A query that names its products and filters them no further. */
export function isIdLookup(
  query: CatalogQuery,
): query is CatalogQuery & { ids: NonNullable<CatalogQuery['ids']> } {
  return (
    query.ids !== undefined &&
    query.q === undefined &&
    query.category === undefined &&
    query.minPrice === undefined &&
    query.maxPrice === undefined
  );
}

// MongoDB compares strings by their UTF-8 bytes; JavaScript's < compares UTF-16 code units,
// which orders some characters differently.
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const byNumber = (a: number, b: number) => a - b;

type Order = (a: Product, b: Product) => number;

// The same orders, tie-breakers included, as the database's sorts in db/products.ts.
const ORDERS: Record<CatalogSort, Order> = {
  price: (a, b) => byNumber(a.price, b.price) || byBytes(a.id, b.id),
  '-price': (a, b) => byNumber(b.price, a.price) || byBytes(a.id, b.id),
  name: (a, b) => byBytes(a.name, b.name) || byBytes(a.id, b.id),
  newest: (a, b) => byBytes(b.createdAt, a.createdAt) || byBytes(b.id, a.id),
};

/** The page a query asks for, cut from every product that matches it. */
export function pageOf(matching: Product[], query: CatalogQuery): CatalogPage<Product> {
  const start = offsetOf(query);
  const items = [...matching].sort(ORDERS[query.sort]).slice(start, start + query.limit);
  return { items, page: query.page, limit: query.limit, total: matching.length };
}
