import { CommandError } from '../errors';
import { valueKey } from '../documents';
import type { Document } from '../documents';
import { Collection } from './collection';

/** Told which namespace changed so that a snapshot can be brought in line with memory. */
export type ChangeListener = (databaseName: string, collectionName: string) => void;

/** Every database and its collections, in memory. */
export class Store {
  private readonly databases = new Map<string, Map<string, Collection>>();
  private listener: ChangeListener = () => undefined;

  onChange(listener: ChangeListener): void {
    this.listener = listener;
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(databaseName: string): Collection[] {
    return [...(this.databases.get(databaseName)?.values() ?? [])];
  }

  find(databaseName: string, collectionName: string): Collection | undefined {
    return this.databases.get(databaseName)?.get(collectionName);
  }

  /** The collection a write goes to; like mongod, a write to a new name creates it. */
  forWrite(databaseName: string, collectionName: string): Collection {
    return this.find(databaseName, collectionName) ?? this.add(databaseName, collectionName, {});
  }

  /**
   * The `create` command. Since MongoDB 7.0 re-creating a collection with identical
   * options succeeds; different options are NamespaceExists.
   */
  create(databaseName: string, collectionName: string, options: Document): Collection {
    const existing = this.find(databaseName, collectionName);
    if (existing) {
      if (valueKey(existing.options) === valueKey(options)) return existing;
      throw new CommandError(
        'NamespaceExists',
        `Collection ${databaseName}.${collectionName} already exists.`,
      );
    }
    return this.add(databaseName, collectionName, options);
  }

  /** Removes a collection; a missing one is not an error (MongoDB 7.0 behaviour). */
  drop(databaseName: string, collectionName: string): Collection | undefined {
    const database = this.databases.get(databaseName);
    const collection = database?.get(collectionName);
    if (!database || !collection) return undefined;
    database.delete(collectionName);
    if (database.size === 0) this.databases.delete(databaseName);
    this.listener(databaseName, collectionName);
    return collection;
  }

  dropDatabase(databaseName: string): void {
    for (const collection of this.collections(databaseName)) {
      this.drop(databaseName, collection.name);
    }
  }

  /**
   * Moves a collection to a new namespace with its documents, options and indexes; the
   * target is replaced only with dropTarget, as in mongod.
   */
  rename(from: [string, string], to: [string, string], dropTarget: boolean): void {
    const source = this.find(...from);
    if (!source) {
      throw new CommandError(
        'NamespaceNotFound',
        `Source collection ${from.join('.')} does not exist`,
      );
    }
    if (from[0] === to[0] && from[1] === to[1]) {
      throw new CommandError('IllegalOperation', "Can't rename a collection to itself");
    }
    if (this.find(...to) && !dropTarget) {
      throw new CommandError('NamespaceExists', 'target namespace exists');
    }
    const target = this.newCollection(to[0], to[1], source.options);
    for (const definition of source.indexDefinitions()) target.createIndex({ ...definition });
    for (const document of source.all()) target.insert(document);
    this.drop(...to);
    this.drop(...from);
    this.databaseFor(to[0]).set(to[1], target);
    this.listener(to[0], to[1]);
  }

  /** Puts a collection read from a snapshot in place, without reporting it as a change. */
  restore(collection: Collection): void {
    this.databaseFor(collection.databaseName).set(collection.name, collection);
  }

  /** A new empty collection, wired to report its changes. */
  newCollection(databaseName: string, collectionName: string, options: Document): Collection {
    validateNamespace(databaseName, collectionName);
    return new Collection(databaseName, collectionName, options, () =>
      this.listener(databaseName, collectionName),
    );
  }

  private add(databaseName: string, collectionName: string, options: Document): Collection {
    const collection = this.newCollection(databaseName, collectionName, options);
    this.databaseFor(databaseName).set(collectionName, collection);
    this.listener(databaseName, collectionName);
    return collection;
  }

  private databaseFor(databaseName: string): Map<string, Collection> {
    let database = this.databases.get(databaseName);
    if (!database) {
      database = new Map();
      this.databases.set(databaseName, database);
    }
    return database;
  }
}

/** mongod's naming rules, which also keep names safe to use as snapshot file names. */
function validateNamespace(databaseName: string, collectionName: string): void {
  if (databaseName.length === 0 || /[/\\. "$\0]/.test(databaseName)) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${databaseName}'`);
  }
  if (
    collectionName.length === 0 ||
    collectionName.includes('$') ||
    collectionName.includes('\0') ||
    collectionName.startsWith('.') ||
    collectionName.startsWith('system.')
  ) {
    throw new CommandError(
      'InvalidNamespace',
      `Invalid collection name: ${databaseName}.${collectionName}`,
    );
  }
}
