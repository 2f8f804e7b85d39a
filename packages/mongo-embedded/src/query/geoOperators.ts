import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { boxContains, circleContains, polygonContains } from '../geo/flat';
import type { XY } from '../geo/flat';
import {
  GeoJsonError,
  GeoNotImplementedError,
  flatPointsOf,
  geometriesAt,
  legacyPoint,
  parseGeoJson,
  sphereShapeOf,
} from '../geo/geometry';
import type { StoredGeometry } from '../geo/geometry';
import { intersects, within, withinCap } from '../geo/sphere';

/*
 * $geoWithin (and its old name $within) and $geoIntersects, as mongod evaluates them
 * without an index: a document matches when any geometry at the path does. Flat regions
 * ($box, $center, $polygon) contain points only; a GeoJSON point projects onto the plane.
 * $near and $nearSphere sort as well as filter, so find handles them (near.ts); anywhere
 * else they get mongod's refusal.
 */

type GeometryTest = (geometry: StoredGeometry) => boolean;
type Predicate = (document: Document) => boolean;

/** Runs a GeoJSON parse of a query operand, reporting invalid GeoJSON as mongod's BadValue. */
export function queryGeoJson(value: unknown): ReturnType<typeof parseGeoJson> {
  try {
    return parseGeoJson(value);
  } catch (error) {
    if (error instanceof GeoNotImplementedError) {
      throw new CommandError('NotImplemented', error.message);
    }
    if (error instanceof GeoJsonError) throw new CommandError('BadValue', error.message);
    throw error;
  }
}

function pointOperand(value: unknown, operator: string): XY {
  const point = legacyPoint(value);
  if (!point)
    throw new CommandError('BadValue', `${operator} must be a point: ${JSON.stringify(value)}`);
  return point;
}

function centerAndRadius(value: unknown, operator: string): [XY, number] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== 'number' || value[1] < 0) {
    throw new CommandError(
      'BadValue',
      `${operator} requires [ [x, y], radius ]: ${JSON.stringify(value)}`,
    );
  }
  return [pointOperand(value[0], operator), value[1]];
}

const flatTest =
  (contains: (point: XY) => boolean): GeometryTest =>
  (geometry) => {
    const points = flatPointsOf(geometry);
    return points !== undefined && points.length > 0 && points.every(contains);
  };

function withinTest(spec: unknown): GeometryTest {
  if (!isDocument(spec)) {
    throw new CommandError('BadValue', `$geoWithin requires an object: ${JSON.stringify(spec)}`);
  }
  const shapes = Object.keys(spec).filter((key) => key !== '$uniqueDocs');
  const [shape] = shapes;
  if (shape === undefined || shapes.length > 1) {
    throw new CommandError(
      'BadValue',
      `$geoWithin takes exactly one shape: ${JSON.stringify(spec)}`,
    );
  }
  const operand: unknown = spec[shape];
  switch (shape) {
    case '$box': {
      if (!Array.isArray(operand) || operand.length !== 2) {
        throw new CommandError('BadValue', `$box requires two corners: ${JSON.stringify(operand)}`);
      }
      const corners: [XY, XY] = [
        pointOperand(operand[0], '$box'),
        pointOperand(operand[1], '$box'),
      ];
      return flatTest((point) => boxContains(corners, point));
    }
    case '$center': {
      const [center, radius] = centerAndRadius(operand, '$center');
      return flatTest((point) => circleContains(center, radius, point));
    }
    case '$polygon': {
      if (!Array.isArray(operand) || operand.length < 3) {
        throw new CommandError('BadValue', 'Polygon must have at least 3 points');
      }
      const vertices = operand.map((vertex) => pointOperand(vertex, '$polygon'));
      return flatTest((point) => polygonContains(vertices, point));
    }
    case '$centerSphere': {
      const [center, radius] = centerAndRadius(operand, '$centerSphere');
      const [lng, lat] = center;
      if (lng < -180 || lng > 180 || lat < -90 || lat > 90) {
        throw new CommandError('BadValue', `Spherical center is out of bounds: [ ${lng}, ${lat} ]`);
      }
      return (geometry) => {
        const stored = sphereShapeOf(geometry);
        return stored !== undefined && withinCap(stored, center, radius);
      };
    }
    case '$geometry': {
      const { type, shape: region } = queryGeoJson(operand);
      if (type !== 'Polygon' && type !== 'MultiPolygon') {
        throw new CommandError(
          'BadValue',
          `$geoWithin not supported with provided geometry: ${JSON.stringify(operand)}`,
        );
      }
      return (geometry) => {
        const stored = sphereShapeOf(geometry);
        return stored !== undefined && within(stored, region.polygons);
      };
    }
    default:
      throw new CommandError(
        'BadValue',
        `unknown geo specifier: ${shape}: ${JSON.stringify(operand)}`,
      );
  }
}

function intersectsTest(spec: unknown): GeometryTest {
  if (!isDocument(spec) || !('$geometry' in spec)) {
    throw new CommandError(
      'BadValue',
      `$geoIntersects requires $geometry: ${JSON.stringify(spec)}`,
    );
  }
  const { shape: region } = queryGeoJson(spec['$geometry']);
  return (geometry) => {
    const stored = sphereShapeOf(geometry);
    return stored !== undefined && intersects(stored, region);
  };
}

const matchAny =
  (selector: string, test: GeometryTest): Predicate =>
  (document) =>
    geometriesAt(document, selector.split('.')).some(test);

const nearElsewhere = (): never => {
  throw new CommandError(
    'BadValue',
    '$geoNear, $near, and $nearSphere are not allowed in this context',
  );
};

export const geoQueryOperators = {
  $geoWithin: (selector: string, spec: unknown) => matchAny(selector, withinTest(spec)),
  $within: (selector: string, spec: unknown) => matchAny(selector, withinTest(spec)),
  $geoIntersects: (selector: string, spec: unknown) => matchAny(selector, intersectsTest(spec)),
  $near: nearElsewhere,
  $nearSphere: nearElsewhere,
  // Only meaningful beside $near, whose clause find takes out of the filter before mingo.
  $maxDistance: nearElsewhere,
  $minDistance: nearElsewhere,
};
