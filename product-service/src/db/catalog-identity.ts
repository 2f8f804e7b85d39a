import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';

interface CatalogIdentity {
  _id: string;
  cacheNamespace: string;
}

/**
 * A random name stored once in the catalog database itself. Cache keys carry it, so every
 * replica of one catalog shares its cache entries, while two catalogs that share a Redis (two
 * test systems, two developers' embedded servers) can never read each other's.
 */
export async function catalogCacheNamespace(connection: Connection): Promise<string> {
  const identities = connection.collection<CatalogIdentity>('catalog_identity');
  const identity = await identities.findOneAndUpdate(
    { _id: 'cache' },
    { $setOnInsert: { cacheNamespace: randomBytes(6).toString('hex') } },
    { upsert: true, returnDocument: 'after' },
  );
  if (!identity) throw new Error('the catalog identity could not be read');
  return identity.cacheNamespace;
}
