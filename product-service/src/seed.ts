import { newProductBody } from '@shop/contracts';
import { createLogger, loadConfigOrExit, type Logger } from '@shop/service-kit';
import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { z } from 'zod';
import { configFields } from './config';
import { DEVELOPMENT_DATA_DIR, openCatalogDatabase } from './db/connection';
import type { ProductDocument, ProductModel } from './db/product-model';
import type { NewProduct } from './domain/product';
import { productCreated } from './domain/product-events';
import demoCatalog from './demo-catalog.json';

// The demo data is a file, not code: read through the product schema of the API, so an entry the
// API would refuse stops the seed before anything is written.
const catalogSchema = z.array(newProductBody);

export interface SeedResult {
  created: number;
  unchanged: number;
}

/**
 * Loads a catalog idempotently: a product whose sku is already known (even if it was deleted
 * since) is left exactly as it is, and only a newly inserted product queues PRODUCT_CREATED,
 * so a second run changes nothing and announces nothing. Events leave through the outbox relay.
 * Without a catalog it loads the demo one, src/demo-catalog.json.
 */
export async function seedCatalog(
  products: ProductModel,
  options: { catalog?: NewProduct[]; logger?: Logger } = {},
): Promise<SeedResult> {
  const catalog = catalogSchema.parse(options.catalog ?? demoCatalog);
  const now = new Date();
  const operations: AnyBulkWriteOperation<ProductDocument>[] = catalog.map((entry) => {
    const _id = new Types.ObjectId();
    const event = productCreated(
      { productId: _id.toHexString(), sku: entry.sku, initialStock: entry.initialStock },
      null,
    );
    return {
      updateOne: {
        filter: { sku: entry.sku },
        update: {
          $setOnInsert: {
            _id,
            name: entry.name,
            description: entry.description,
            price: entry.price,
            category: entry.category,
            sku: entry.sku,
            deleted: false,
            deletedAt: null,
            pendingEvents: [event],
            createdAt: now,
            updatedAt: now,
          },
        },
        upsert: true,
        // Timestamps are set on insert above; an automatic updatedAt would change every run.
        timestamps: false,
      },
    };
  });
  const result = await products.bulkWrite(operations, { ordered: false });
  const outcome = {
    created: result.upsertedCount,
    unchanged: catalog.length - result.upsertedCount,
  };
  options.logger?.info(outcome, 'demo catalog seeded');
  return outcome;
}

const seedConfigSchema = configFields
  .pick({ NODE_ENV: true, LOG_LEVEL: true, MONGODB_URL: true, MONGO_DATA_DIR: true })
  .extend({ NODE_ENV: z.enum(['development', 'test', 'production']).default('development') });

/** `npm run seed -w @shop/product-service` */
async function seedFromCommandLine(): Promise<void> {
  const config = loadConfigOrExit(seedConfigSchema);
  const logger = createLogger({ service: 'product-service-seed', level: config.LOG_LEVEL });
  const database = await openCatalogDatabase({
    url: config.MONGODB_URL,
    // Seeding a memory-only server would be lost at once, so the embedded server always keeps
    // its data here; stop the service first, it reads this directory only when it starts.
    dataDir: config.MONGO_DATA_DIR ?? DEVELOPMENT_DATA_DIR,
    logger,
    production: config.NODE_ENV === 'production',
  });
  try {
    await seedCatalog(database.products, { logger });
  } finally {
    await database.close();
  }
}

if (require.main === module) {
  seedFromCommandLine().catch((error: unknown) => {
    process.stderr.write(`seeding failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
