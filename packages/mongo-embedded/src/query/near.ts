import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { euclidean } from '../geo/flat';
import type { XY } from '../geo/flat';
import { geometriesAt, legacyPoint, sphereShapeOf } from '../geo/geometry';
import { EARTH_RADIUS_METERS, distanceToShape } from '../geo/sphere';
import { queryGeoJson } from './geoOperators';

/*
 * Proximity: $near/$nearSphere in find and the $geoNear stage. mongod answers them only
 * through a geo index, which decides the units and what is searched:
 * - a GeoJSON point: a 2dsphere index, distances in meters;
 * - a legacy pair with $nearSphere (spherical): a 2dsphere or 2d index, distances in radians;
 * - a legacy pair with $near: a 2d index, flat distances in coordinate units.
 * A 2d index holds legacy pairs only; a 2dsphere index holds GeoJSON and legacy pairs.
 */

export interface NearQuery {
  path: string;
  point: XY;
  /** GeoJSON near point, rather than a legacy pair. */
  geoJson: boolean;
  spherical: boolean;
  maxDistance: number | undefined;
  minDistance: number | undefined;
}

export interface NearResult {
  document: Document;
  distance: number;
  location: unknown;
}

type Metric = (document: Document) => { distance: number; location: unknown } | undefined;

function distanceOperand(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new CommandError('BadValue', `${name} must be a non-negative number`);
  }
  return value;
}

/** The near point of $near, $nearSphere or $geoNear's `near`: GeoJSON or a legacy pair. */
export function nearPoint(value: unknown): { point: XY; geoJson: boolean } {
  if (isDocument(value) && 'type' in value) {
    const { type, shape } = queryGeoJson(value);
    const [point] = shape.points;
    if (type !== 'Point' || point === undefined) {
      throw new CommandError(
        'BadValue',
        `invalid point in geo near query $geometry argument: ${JSON.stringify(value)}`,
      );
    }
    return { point, geoJson: true };
  }
  const point = legacyPoint(value);
  if (!point)
    throw new CommandError(
      'BadValue',
      `invalid argument in geo near query: ${JSON.stringify(value)}`,
    );
  return { point, geoJson: false };
}

/** Reads one field's { $near | $nearSphere, $maxDistance, $minDistance } condition. */
export function parseNearCondition(path: string, condition: Document): NearQuery {
  const spherical = '$nearSphere' in condition;
  const operand: unknown = condition[spherical ? '$nearSphere' : '$near'];
  const wrapped = isDocument(operand) && '$geometry' in operand ? operand : undefined;
  const { point, geoJson } = nearPoint(wrapped ? wrapped['$geometry'] : operand);
  return {
    path,
    point,
    geoJson,
    spherical: spherical || geoJson,
    maxDistance: distanceOperand(
      wrapped?.['$maxDistance'] ?? condition['$maxDistance'],
      '$maxDistance',
    ),
    minDistance: distanceOperand(
      wrapped?.['$minDistance'] ?? condition['$minDistance'],
      '$minDistance',
    ),
  };
}

function indexTypeOn(indexes: readonly Document[], path: string, type: string): boolean {
  return indexes.some((key) => key[path] === type);
}

function unableToFindIndex(): CommandError {
  return new CommandError('NoQueryExecutionPlans', 'unable to find index for $geoNear query');
}

/** The distance function the index that mongod would use implies, or its error. */
function metricFor(near: NearQuery, indexes: readonly Document[]): Metric {
  const path = near.path.split('.');
  const sphereIndex = indexTypeOn(indexes, near.path, '2dsphere');
  const flatIndex = indexTypeOn(indexes, near.path, '2d');
  if (near.spherical && (sphereIndex || (flatIndex && !near.geoJson))) {
    const scale = near.geoJson ? EARTH_RADIUS_METERS : 1;
    return (document) => {
      let best: { distance: number; location: unknown } | undefined;
      for (const geometry of geometriesAt(document, path)) {
        if (!sphereIndex && geometry.kind !== 'legacy') continue;
        const shape = sphereShapeOf(geometry);
        if (!shape) continue;
        const distance = distanceToShape(near.point, shape) * scale;
        if (!best || distance < best.distance) best = { distance, location: geometry.value };
      }
      return best;
    };
  }
  if (!near.spherical && flatIndex) {
    return (document) => {
      let best: { distance: number; location: unknown } | undefined;
      for (const geometry of geometriesAt(document, path)) {
        if (geometry.kind !== 'legacy') continue;
        const distance = euclidean(near.point, geometry.point);
        if (!best || distance < best.distance) best = { distance, location: geometry.value };
      }
      return best;
    };
  }
  throw unableToFindIndex();
}

/** The documents within the distance bounds, nearest first (ties keep their order). */
export function nearest(
  documents: readonly Document[],
  near: NearQuery,
  indexKeys: readonly Document[],
): NearResult[] {
  const metric = metricFor(near, indexKeys);
  const results: NearResult[] = [];
  for (const document of documents) {
    const found = metric(document);
    if (!found) continue;
    if (near.maxDistance !== undefined && found.distance > near.maxDistance) continue;
    if (near.minDistance !== undefined && found.distance < near.minDistance) continue;
    results.push({ document, ...found });
  }
  return results.sort((a, b) => a.distance - b.distance);
}

const NEAR_OPERATORS = ['$near', '$nearSphere'];
const NEAR_FIELDS = new Set([...NEAR_OPERATORS, '$maxDistance', '$minDistance']);

/**
 * Takes the one $near/$nearSphere clause out of a find filter (top level or in a top-level
 * $and, the only places mongod allows it), leaving the rest of the filter for mingo.
 */
export function extractNear(filter: Document): { near: NearQuery | undefined; rest: Document } {
  let near: NearQuery | undefined;
  const take = (clause: Document): Document => {
    const rest: Document = {};
    for (const [path, condition] of Object.entries(clause)) {
      if (isDocument(condition) && NEAR_OPERATORS.some((operator) => operator in condition)) {
        if (near) throw new CommandError('BadValue', 'Too many geoNear expressions');
        near = parseNearCondition(path, condition);
        const others = Object.entries(condition).filter(([key]) => !NEAR_FIELDS.has(key));
        if (others.length > 0) rest[path] = Object.fromEntries(others);
      } else if (path === '$and' && Array.isArray(condition)) {
        rest[path] = condition.map((item) => (isDocument(item) ? take(item) : item));
      } else {
        rest[path] = condition;
      }
    }
    return rest;
  };
  const rest = take(filter);
  return { near, rest };
}
