import { CommandError } from '../errors';
import { isDocument, valueKey } from '../documents';
import type { Document } from '../documents';
import { parseCollation } from '../query/collation';
import type { Collation } from '../query/collation';
import { valuesEqual, withStringOrder } from '../query/compare';
import { compileFilter } from '../query/mql';
import type { DocumentPredicate } from '../query/mql';
import { geoKeyError } from './geoKeys';
import { formatKey } from './keyFormat';

/** An index as listIndexes reports it: { v, key, name } plus the options it was created with. */
/** Options that change what an index enforces or contains; others (e.g. background) are hints. */
export const SEMANTIC_INDEX_OPTIONS = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'collation',
  'weights',
];

export type IndexDefinition = Document & { v: number; key: Document; name: string };

export const ID_INDEX_NAME = '_id_';

export function idIndexDefinition(): IndexDefinition {
  return { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME };
}

export function duplicateKeyError(
  namespace: string,
  indexName: string,
  keyPattern: Document,
  keyValue: Document,
): CommandError {
  return new CommandError(
    'DuplicateKey',
    `E11000 duplicate key error collection: ${namespace} index: ${indexName} dup key: ${formatKey(keyValue)}`,
    { keyPattern, keyValue },
  );
}

interface IndexKey {
  /** Equal for equal keys; the lookup key of the uniqueness map. */
  text: string;
  /** The key as mongod reports it in keyValue: field path to value. */
  value: Document;
  /** The key's values in key-pattern order. */
  values: unknown[];
}

const MISSING = Symbol('missing');

/**
 * An index definition, and for unique indexes the key-to-document map that enforces it.
 * Non-unique indexes only need to exist in the catalog: every query is a scan here.
 */
export class CollectionIndex {
  private readonly owners = new Map<string, string>();
  /** For a collated index: each key's values, compared under the collation. */
  private readonly ownedKeys = new Map<string, unknown[]>();
  private readonly collation: Collation | undefined;
  private readonly partialFilter: DocumentPredicate | undefined;
  private readonly enforcesUniqueness: boolean;
  private readonly hasGeoKeys: boolean;

  constructor(
    readonly definition: IndexDefinition,
    private readonly namespace: string,
  ) {
    const partial: unknown = definition['partialFilterExpression'];
    this.partialFilter = isDocument(partial) ? compileFilter(partial) : undefined;
    // Text, geo and hashed keys cannot be unique in mongod, and the _id index is the document map.
    const plainKeys = Object.values(definition.key).every(
      (direction) => typeof direction === 'number',
    );
    this.enforcesUniqueness =
      definition['unique'] === true && plainKeys && definition.name !== ID_INDEX_NAME;
    this.collation = parseCollation(definition['collation']);
    this.hasGeoKeys = Object.values(definition.key).some(
      (type) => type === '2dsphere' || type === '2d',
    );
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * The error storing `document` would cause: a geo value the index cannot hold, or an
   * E11000 duplicate (ignoring the document stored under `ownerId`).
   */
  findConflict(document: Document, ownerId: string): CommandError | undefined {
    if (this.hasGeoKeys && (!this.partialFilter || this.partialFilter(document))) {
      const error = geoKeyError(this.definition, document);
      if (error) return error;
    }
    if (!this.enforcesUniqueness) return undefined;
    for (const key of this.keysOf(document)) {
      const owner = this.collation ? this.collatedOwner(key) : this.owners.get(key.text);
      if (owner !== undefined && owner !== ownerId) {
        return duplicateKeyError(this.namespace, this.name, this.definition.key, key.value);
      }
    }
    return undefined;
  }

  add(document: Document, ownerId: string): void {
    if (!this.enforcesUniqueness) return;
    for (const key of this.keysOf(document)) {
      this.owners.set(key.text, ownerId);
      if (this.collation) this.ownedKeys.set(key.text, key.values);
    }
  }

  remove(document: Document, ownerId: string): void {
    if (!this.enforcesUniqueness) return;
    for (const key of this.keysOf(document)) {
      if (this.owners.get(key.text) === ownerId) {
        this.owners.delete(key.text);
        this.ownedKeys.delete(key.text);
      }
    }
  }

  /**
   * Under a collation equal keys need not be equal values ("abc" and "ABC" at strength 2),
   * so the key is compared with every stored one: a scan, like every query here.
   */
  private collatedOwner(key: IndexKey): string | undefined {
    const compare = this.collation?.compare;
    for (const [text, values] of this.ownedKeys) {
      const same = withStringOrder(compare, () =>
        values.every((value, i) => valuesEqual(value, key.values[i])),
      );
      if (same) return this.owners.get(text);
    }
    return undefined;
  }

  /**
   * Every key a document contributes: one per array element for multikey paths, with a
   * missing field indexed as null, as mongod does (unless the index is sparse).
   */
  private keysOf(document: Document): IndexKey[] {
    if (this.partialFilter && !this.partialFilter(document)) return [];
    const paths = Object.keys(this.definition.key);
    const valuesPerPath = paths.map((path) => valuesAt(document, path.split('.')));
    const allMissing = valuesPerPath.every((values) => values.every((v) => v === MISSING));
    if (this.definition['sparse'] === true && allMissing) return [];

    let combinations: unknown[][] = [[]];
    for (const values of valuesPerPath) {
      combinations = combinations.flatMap((prefix) =>
        values.map((value) => [...prefix, value === MISSING ? null : value]),
      );
    }
    const keys = new Map<string, IndexKey>();
    for (const combination of combinations) {
      const text = valueKey(combination);
      const value: Document = {};
      paths.forEach((path, i) => (value[path] = combination[i]));
      keys.set(text, { text, value, values: combination });
    }
    return [...keys.values()];
  }
}

function valuesAt(value: unknown, segments: string[]): unknown[] {
  const [segment, ...rest] = segments;
  if (segment === undefined) {
    if (Array.isArray(value)) return value.length === 0 ? [value] : value;
    return [value === undefined ? MISSING : value];
  }
  if (Array.isArray(value)) {
    if (/^\d+$/.test(segment)) return valuesAt(value[Number(segment)], rest);
    const found = value.filter(isDocument).flatMap((element) => valuesAt(element, segments));
    const present = found.filter((v) => v !== MISSING);
    return present.length > 0 ? present : [MISSING];
  }
  if (!isDocument(value)) return [MISSING];
  return valuesAt(value[segment], rest);
}
