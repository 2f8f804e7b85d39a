import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';
import type { PendingProductEvent } from '../domain/product-events';

export interface ProductDocument {
  _id: Types.ObjectId;
  name: string;
  description: string;
  price: number;
  category: string;
  sku: string;
  // Deleting keeps the document (orders still point at it) and frees its sku.
  deleted: boolean;
  deletedAt: Date | null;
  pendingEvents: PendingProductEvent[];
  createdAt: Date;
  updatedAt: Date;
}

export type ProductModel = Model<ProductDocument>;
export type ProductRecord = HydratedDocument<ProductDocument>;

const pendingEventSchema = new Schema<PendingProductEvent>(
  {
    eventId: { type: String, required: true },
    type: { type: String, required: true, enum: ['PRODUCT_CREATED', 'PRODUCT_DELETED'] },
    data: { type: Schema.Types.Mixed, required: true },
    correlationId: { type: String, default: null },
  },
  { _id: false },
);

const productSchema = new Schema<ProductDocument>(
  {
    name: { type: String, required: true },
    description: { type: String, default: '' },
    price: {
      type: Number,
      required: true,
      min: 0,
      validate: { validator: Number.isSafeInteger, message: 'price is integer cents' },
    },
    category: { type: String, required: true },
    sku: { type: String, required: true },
    deleted: { type: Boolean, required: true, default: false },
    deletedAt: { type: Date, default: null },
    pendingEvents: { type: [pendingEventSchema], default: [] },
  },
  { collection: 'products', timestamps: true, strict: 'throw', versionKey: false },
);

// A sku is unique among live products only, so a deleted product's sku can be used again.
productSchema.index(
  { sku: 1 },
  { unique: true, name: 'sku_live_unique', partialFilterExpression: { deleted: false } },
);
// The catalog listing: filter by category and price range, sort by price, name or newest.
productSchema.index({ deleted: 1, category: 1, price: 1 });
productSchema.index({ deleted: 1, price: 1 });
productSchema.index({ deleted: 1, name: 1 });
productSchema.index({ deleted: 1, createdAt: -1 });
// The outbox relay looks only at documents that still carry events.
productSchema.index({ 'pendingEvents.eventId': 1 }, { sparse: true });

/** The products model on one connection (tests open their own connection per suite). */
export function productModelOn(connection: Connection): ProductModel {
  return (
    (connection.models.Product as ProductModel | undefined) ??
    connection.model<ProductDocument>('Product', productSchema)
  );
}
