import { EJSON } from 'bson';
import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { GeoJsonError, legacyPoint, parseGeoJson } from '../geo/geometry';
import { plainView } from '../query/views';

/*
 * What a geo index refuses to hold, with mongod's codes: a document whose 2dsphere field is
 * not GeoJSON or a longitude/latitude pair is not stored (16755), nor one whose 2d field is
 * not a coordinate pair inside the index's bounds (13026, 16804, 13027). A missing or null
 * field, or an empty array, is simply not indexed.
 */

function show(document: Document): string {
  return EJSON.stringify(document, { relaxed: true });
}

/** The values at a dotted path; arrays of subdocuments on the way fan out. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  const [head, ...rest] = path;
  if (head === undefined) return [value];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) return valuesAt(value[Number(head)], rest);
    return value.flatMap((element) => (isDocument(element) ? valuesAt(element, path) : []));
  }
  if (!isDocument(value)) return [];
  return valuesAt(value[head], rest);
}

/** A 2dsphere value's problem, if it has one. */
function sphereProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const point = legacyPoint(value);
  if (point) {
    const [lng, lat] = point;
    return lng < -180 || lng > 180 || lat < -90 || lat > 90
      ? `longitude/latitude is out of bounds, lng: ${lng} lat: ${lat}`
      : undefined;
  }
  if (Array.isArray(value)) {
    for (const element of value) {
      const problem = sphereProblem(element);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isDocument(value)) return `geo element must be an array or object: ${JSON.stringify(value)}`;
  try {
    parseGeoJson(value);
    return undefined;
  } catch (error) {
    if (error instanceof GeoJsonError) return error.message;
    throw error;
  }
}

function numberOption(definition: Document, name: string, fallback: number): number {
  const value: unknown = definition[name];
  return typeof value === 'number' ? value : fallback;
}

function flatError(value: unknown, definition: Document): CommandError | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (!Array.isArray(value) && !isDocument(value)) {
    return new CommandError(
      'Location13026',
      "geo values must be 'legacy coordinate pairs' for 2d indexes",
    );
  }
  const point = legacyPoint(value);
  if (!point) {
    // An array of pairs is a multi-location document: each element is a location.
    if (
      Array.isArray(value) &&
      value.every((element) => Array.isArray(element) || isDocument(element))
    ) {
      for (const element of value) {
        const error = flatError(element, definition);
        if (error) return error;
      }
      return undefined;
    }
    return new CommandError(
      'Location16804',
      'location object expected, location array not in correct format',
    );
  }
  const min = numberOption(definition, 'min', -180);
  const max = numberOption(definition, 'max', 180);
  if (point.some((coordinate) => coordinate < min || coordinate >= max)) {
    return new CommandError('Location13027', `point not in interval of [ ${min}, ${max} )`);
  }
  return undefined;
}

/** The error storing `document` under a geo index would raise, if any. */
export function geoKeyError(
  definition: Document & { key: Document },
  document: Document,
): CommandError | undefined {
  const view = plainView(document);
  for (const [path, type] of Object.entries(definition.key)) {
    if (type !== '2dsphere' && type !== '2d') continue;
    for (const value of valuesAt(view, path.split('.'))) {
      if (type === '2d') {
        const error = flatError(value, definition);
        if (error) return error;
        continue;
      }
      const problem = sphereProblem(value);
      if (problem) {
        return new CommandError(
          'Location16755',
          `Can't extract geo keys: ${show(document)}  ${problem}`,
        );
      }
    }
  }
  return undefined;
}
