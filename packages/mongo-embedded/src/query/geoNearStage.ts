import { Double } from 'bson';
import { CommandError } from '../errors';
import { cloneDocument, isDocument } from '../documents';
import type { Document } from '../documents';
import { compileFilter } from './mql';
import { nearPoint, nearest } from './near';
import type { NearQuery } from './near';
import { originalOf, plainView } from './views';

/*
 * The $geoNear aggregation stage: the documents near a point, nearest first, each with its
 * distance written to distanceField. As in mongod it must open the pipeline, and without
 * `key` it uses the collection's one 2d index, else its one 2dsphere index.
 */

function geoIndexPath(indexKeys: readonly Document[], namespace: string): string {
  for (const type of ['2d', '2dsphere']) {
    const paths = indexKeys.flatMap((key) =>
      Object.entries(key).flatMap(([path, value]) => (value === type ? [path] : [])),
    );
    if (paths.length > 1) {
      throw new CommandError(
        'IndexNotFound',
        `There is more than one ${type} index on ${namespace}; unsure which to use for $geoNear`,
      );
    }
    if (paths[0] !== undefined) return paths[0];
  }
  throw new CommandError(
    'IndexNotFound',
    '$geoNear requires a 2d or 2dsphere index, but none were found',
  );
}

function optionalNumberField(spec: Document, name: string): number | undefined {
  const value: unknown = spec[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new CommandError('TypeMismatch', `$geoNear's ${name} must be a number`);
  }
  return value;
}

function optionalStringField(spec: Document, name: string): string | undefined {
  const value: unknown = spec[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new CommandError('TypeMismatch', `$geoNear's ${name} must be a non-empty string`);
  }
  return value;
}

/** Sets a dotted path on a document, creating subdocuments on the way (as $set would). */
function setPath(document: Document, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() as string;
  let node = document;
  for (const segment of segments) {
    const next: unknown = node[segment];
    if (!isDocument(next)) node[segment] = {};
    node = node[segment] as Document;
  }
  node[last] = value;
}

export function runGeoNear(
  spec: unknown,
  documents: readonly Document[],
  indexKeys: readonly Document[],
  namespace: string,
): Document[] {
  if (!isDocument(spec)) {
    throw new CommandError('FailedToParse', '$geoNear must take a nested object');
  }
  if (spec['near'] === undefined) {
    throw new CommandError('FailedToParse', "$geoNear requires a 'near' option");
  }
  const distanceField = optionalStringField(spec, 'distanceField');
  if (distanceField === undefined) {
    throw new CommandError(
      'FailedToParse',
      "$geoNear requires a 'distanceField' option as a String",
    );
  }
  const { point, geoJson } = nearPoint(spec['near']);
  const query: unknown = spec['query'];
  if (query !== undefined && !isDocument(query)) {
    throw new CommandError('TypeMismatch', "$geoNear's query must be an object");
  }
  const near: NearQuery = {
    path: optionalStringField(spec, 'key') ?? geoIndexPath(indexKeys, namespace),
    point,
    geoJson,
    spherical: geoJson || spec['spherical'] === true,
    maxDistance: optionalNumberField(spec, 'maxDistance'),
    minDistance: optionalNumberField(spec, 'minDistance'),
  };
  const multiplier = optionalNumberField(spec, 'distanceMultiplier') ?? 1;
  const includeLocs = optionalStringField(spec, 'includeLocs');
  const matches = query ? compileFilter(query) : () => true;
  const candidates = documents.filter(matches).map(plainView);
  return nearest(candidates, near, indexKeys).map(({ document, distance, location }) => {
    const result = cloneDocument(originalOf(document));
    setPath(result, distanceField, new Double(distance * multiplier));
    if (includeLocs !== undefined) setPath(result, includeLocs, location);
    return result;
  });
}
