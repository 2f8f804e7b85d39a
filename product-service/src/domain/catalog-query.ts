import { z } from 'zod';
import { MAX_PRICE_CENTS } from './product';

export const CATALOG_SORTS = ['price', '-price', 'name', 'newest'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_PAGE = 10_000;

// Query values arrive as strings; a repeated or bracketed parameter (?q[$ne]=x, ?q=a&q=b) is
// not a string and is refused rather than coerced.
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'Expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const catalogQuerySchema = z
  .strictObject({
    q: z.string().trim().max(200).optional(),
    category: z.string().trim().min(1).max(100).toLowerCase().optional(),
    minPrice: wholeNumber(0, MAX_PRICE_CENTS).optional(),
    maxPrice: wholeNumber(0, MAX_PRICE_CENTS).optional(),
    sort: z.enum(CATALOG_SORTS).default('newest'),
    page: wholeNumber(1, MAX_PAGE).default(1),
    // Larger pages are refused (400) rather than silently clamped, so a client never
    // believes it received everything when it did not.
    limit: wholeNumber(1, MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  })
  .refine(
    (query) =>
      query.minPrice === undefined ||
      query.maxPrice === undefined ||
      query.minPrice <= query.maxPrice,
    { message: 'minPrice must not exceed maxPrice', path: ['minPrice'] },
  );

export type CatalogQuery = z.output<typeof catalogQuerySchema>;

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
