import { UUID } from 'bson';
import { CommandError } from '../errors';
import { valueKey } from '../documents';
import type { Document } from '../documents';
import { idsNamedBy } from '../query/id-lookup';
import { cappedLimits, checkFitsCap, documentBytes } from './capped';
import type { CappedLimits } from './capped';
import { checkStorable } from './documentRules';
import {
  CollectionIndex,
  ID_INDEX_NAME,
  SEMANTIC_INDEX_OPTIONS,
  duplicateKeyError,
  idIndexDefinition,
} from './indexes';
import type { IndexDefinition } from './indexes';

export type IndexCreation = 'created' | 'alreadyExists';

/**
 * The documents of one collection in natural (insertion) order, with its indexes.
 * Every method runs to completion synchronously: a command never observes a half-applied
 * write, and all checks happen before the first change.
 */
export class Collection {
  private readonly documents = new Map<string, Document>();
  /** Each document's place in natural order, so an _id lookup answers in that order too. */
  private readonly positions = new Map<string, number>();
  private nextPosition = 0;
  private readonly indexes = new Map<string, CollectionIndex>();
  readonly uuid = new UUID();
  private readonly capped: CappedLimits | undefined;
  /** The BSON bytes of the documents, kept for a capped collection's size limit. */
  private bytes = 0;

  constructor(
    readonly databaseName: string,
    readonly name: string,
    readonly options: Document,
    private readonly changed: () => void,
  ) {
    this.indexes.set(ID_INDEX_NAME, new CollectionIndex(idIndexDefinition(), this.namespace));
    this.capped = cappedLimits(options);
  }

  get namespace(): string {
    return `${this.databaseName}.${this.name}`;
  }

  get documentCount(): number {
    return this.documents.size;
  }

  /** A snapshot of the documents; they must be treated as read-only. */
  all(): Document[] {
    return [...this.documents.values()];
  }

  /**
   * The documents a filter can match, in natural order: those its _id condition names, or all
   * of them. Callers still apply the whole filter.
   */
  candidatesFor(filter: Document | undefined): Document[] {
    const ids = idsNamedBy(filter);
    if (!ids) return this.all();
    const keys = [...new Set(ids.map(valueKey))].filter((key) => this.documents.has(key));
    keys.sort((a, b) => this.positions.get(a)! - this.positions.get(b)!);
    return keys.map((key) => this.documents.get(key)!);
  }

  insert(document: Document): void {
    checkStorable(document, 'insert');
    const id = valueKey(document['_id']);
    if (this.documents.has(id)) {
      throw duplicateKeyError(this.namespace, ID_INDEX_NAME, { _id: 1 }, { _id: document['_id'] });
    }
    if (this.capped) checkFitsCap(document, this.capped);
    this.throwOnConflict(document, id);
    this.documents.set(id, document);
    this.positions.set(id, this.nextPosition++);
    for (const index of this.indexes.values()) index.add(document, id);
    if (this.capped) {
      this.bytes += documentBytes(document);
      this.evictOverCap(this.capped);
    }
    this.changed();
  }

  /** Removes the oldest documents while a capped collection is over either limit. */
  private evictOverCap(limits: CappedLimits): void {
    for (const oldest of this.documents.values()) {
      const overCount =
        limits.maxDocuments !== undefined && this.documents.size > limits.maxDocuments;
      if (!overCount && this.bytes <= limits.maxBytes) return;
      this.remove(oldest);
    }
  }

  /** Swaps a stored document for its updated version (same _id). */
  replace(current: Document, next: Document): void {
    const id = valueKey(current['_id']);
    if (this.documents.get(id) !== current) {
      throw new CommandError('InternalError', `document ${id} changed during the update`);
    }
    checkStorable(next, 'update');
    this.throwOnConflict(next, id);
    for (const index of this.indexes.values()) index.remove(current, id);
    for (const index of this.indexes.values()) index.add(next, id);
    this.documents.set(id, next);
    if (this.capped) this.bytes += documentBytes(next) - documentBytes(current);
    this.changed();
  }

  remove(document: Document): void {
    const id = valueKey(document['_id']);
    if (!this.documents.delete(id)) return;
    this.positions.delete(id);
    for (const index of this.indexes.values()) index.remove(document, id);
    if (this.capped) this.bytes -= documentBytes(document);
    this.changed();
  }

  indexDefinitions(): IndexDefinition[] {
    return [...this.indexes.values()].map((index) => index.definition);
  }

  /**
   * Adds an index, refusing (as mongod does) a name reused for other keys or options, a key
   * pattern already indexed under another name, and a unique index over duplicate data.
   */
  createIndex(definition: IndexDefinition): IndexCreation {
    const sameName = this.indexes.get(definition.name);
    if (sameName) {
      if (valueKey(sameName.definition.key) !== valueKey(definition.key)) {
        throw new CommandError(
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. Requested index: ${describe(definition)}, existing index: ${describe(sameName.definition)}`,
        );
      }
      if (!sameOptions(sameName.definition, definition)) {
        throw new CommandError(
          'IndexOptionsConflict',
          `An equivalent index already exists with the same name but different options. Requested index: ${describe(definition)}, existing index: ${describe(sameName.definition)}`,
        );
      }
      return 'alreadyExists';
    }
    for (const existing of this.indexes.values()) {
      if (
        valueKey(existing.definition.key) === valueKey(definition.key) &&
        sameOptions(existing.definition, definition)
      ) {
        throw new CommandError(
          'IndexOptionsConflict',
          `Index already exists with a different name: ${existing.name}`,
        );
      }
    }
    const index = new CollectionIndex(definition, this.namespace);
    for (const [id, document] of this.documents) {
      const conflict = index.findConflict(document, id);
      if (conflict) throw conflict;
      index.add(document, id);
    }
    this.indexes.set(definition.name, index);
    this.changed();
    return 'created';
  }

  /** Changes options of an index that do not change its keys (collMod's hidden, TTL). */
  modifyIndex(name: string, changes: Document): IndexDefinition {
    const existing = this.indexes.get(name);
    if (!existing) throw new CommandError('IndexNotFound', `cannot find index ${name}`);
    const before = existing.definition;
    const index = new CollectionIndex({ ...before, ...changes }, this.namespace);
    for (const [id, document] of this.documents) index.add(document, id);
    this.indexes.set(name, index);
    this.changed();
    return before;
  }

  /** The key patterns of the indexes, which geo queries need to pick their index. */
  indexKeys(): Document[] {
    return [...this.indexes.values()].map((index) => index.definition.key);
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  indexNamed(keyPattern: Document): string | undefined {
    const wanted = valueKey(keyPattern);
    return [...this.indexes.values()].find((index) => valueKey(index.definition.key) === wanted)
      ?.name;
  }

  dropIndex(name: string): void {
    if (name === ID_INDEX_NAME) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!this.indexes.delete(name)) {
      throw new CommandError('IndexNotFound', `index not found with name [${name}]`);
    }
    this.changed();
  }

  private throwOnConflict(document: Document, id: string): void {
    for (const index of this.indexes.values()) {
      const conflict = index.findConflict(document, id);
      if (conflict) throw conflict;
    }
  }
}

function sameOptions(a: IndexDefinition, b: IndexDefinition): boolean {
  return SEMANTIC_INDEX_OPTIONS.every((option) => valueKey(a[option]) === valueKey(b[option]));
}

function describe(definition: IndexDefinition): string {
  return JSON.stringify(definition);
}
