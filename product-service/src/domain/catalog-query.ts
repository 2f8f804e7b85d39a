import type { CATALOG_SORTS, catalogQuery } from '@shop/contracts';
import type { z } from 'zod';

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
