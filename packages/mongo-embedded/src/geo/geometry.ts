import { isDocument } from '../documents';
import type { XY } from './flat';
import type { LngLat, Rings, SphereShape } from './sphere';

/*
 * Reading geometries out of BSON values: GeoJSON objects (validated as mongod validates
 * them, with its messages) and legacy coordinate pairs ([x, y] or a subdocument whose first
 * two fields are numbers). Values here are views with plain JavaScript numbers.
 */

/** A geometry found in a document: a legacy pair (flat, usable on the sphere) or GeoJSON. */
export type StoredGeometry = (
  { kind: 'legacy'; point: XY } | { kind: 'geojson'; type: string; shape: SphereShape }
) & {
  /** The value as stored, which $geoNear's includeLocs reports. */
  value: unknown;
};

/** Thrown for GeoJSON mongod would refuse; callers turn it into their error code. */
export class GeoJsonError extends Error {}

/** Valid GeoJSON whose meaning this server does not implement. */
export class GeoNotImplementedError extends GeoJsonError {}

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** A legacy coordinate pair: [x, y] or { a: x, b: y } (the first two fields of a subdocument). */
export function legacyPoint(value: unknown): XY | undefined {
  const items: unknown[] | undefined = Array.isArray(value)
    ? value
    : isDocument(value) && !('type' in value) && !('$geometry' in value)
      ? Object.values(value)
      : undefined;
  if (!items || items.length < 2) return undefined;
  const [x, y] = items;
  return isNumber(x) && isNumber(y) ? [x, y] : undefined;
}

function position(value: unknown): LngLat {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isNumber)) {
    throw new GeoJsonError('Point must only contain numeric elements');
  }
  const [lng, lat] = value as [number, number];
  if (lng < -180 || lng > 180 || lat < -90 || lat > 90) {
    throw new GeoJsonError(`longitude/latitude is out of bounds, lng: ${lng} lat: ${lat}`);
  }
  return [lng, lat];
}

function positions(value: unknown, what: string): LngLat[] {
  if (!Array.isArray(value)) throw new GeoJsonError(`${what} coordinates must be an array`);
  return value.map(position);
}

function lineString(value: unknown): LngLat[] {
  const line = positions(value, 'LineString');
  if (line.length < 2) {
    throw new GeoJsonError(
      `GeoJSON LineString must have at least 2 vertices: ${JSON.stringify(value)}`,
    );
  }
  return line;
}

function ring(value: unknown): LngLat[] {
  const loop = positions(value, 'Polygon');
  if (loop.length < 4) {
    throw new GeoJsonError(
      `Loop must have at least 3 different vertices: ${JSON.stringify(value)}`,
    );
  }
  const first = loop[0] as LngLat;
  const last = loop[loop.length - 1] as LngLat;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new GeoJsonError(
      `Loop is not closed, first vertex does not equal last vertex: ${JSON.stringify(value)}`,
    );
  }
  const distinct = new Set(loop.map(([lng, lat]) => `${lng},${lat}`));
  if (distinct.size < 3) {
    throw new GeoJsonError(
      `Loop must have at least 3 different vertices: ${JSON.stringify(value)}`,
    );
  }
  return loop;
}

function polygon(value: unknown): Rings {
  if (!Array.isArray(value) || value.length === 0) {
    throw new GeoJsonError('Polygon coordinates must be an array of at least one ring');
  }
  return value.map(ring);
}

function listOf<T>(value: unknown, what: string, item: (element: unknown) => T): T[] {
  if (!Array.isArray(value)) throw new GeoJsonError(`${what} coordinates must be an array`);
  return value.map(item);
}

const EMPTY: SphereShape = { points: [], lines: [], polygons: [] };

function merge(shapes: SphereShape[]): SphereShape {
  return {
    points: shapes.flatMap((shape) => shape.points),
    lines: shapes.flatMap((shape) => shape.lines),
    polygons: shapes.flatMap((shape) => shape.polygons),
  };
}

/** A GeoJSON object as a shape, or GeoJsonError naming what is wrong with it. */
export function parseGeoJson(value: unknown): { type: string; shape: SphereShape } {
  if (!isDocument(value) || typeof value['type'] !== 'string') {
    throw new GeoJsonError(`unknown GeoJSON type: ${JSON.stringify(value)}`);
  }
  const type = value['type'];
  if ('crs' in value) refuseCustomCrs(value['crs']);
  if (type === 'GeometryCollection') {
    const members: unknown = value['geometries'];
    if (!Array.isArray(members)) {
      throw new GeoJsonError('GeometryCollection geometries must be an array');
    }
    return { type, shape: merge(members.map((member) => parseGeoJson(member).shape)) };
  }
  const coordinates: unknown = value['coordinates'];
  switch (type) {
    case 'Point':
      return { type, shape: { ...EMPTY, points: [position(coordinates)] } };
    case 'MultiPoint':
      return { type, shape: { ...EMPTY, points: positions(coordinates, type) } };
    case 'LineString':
      return { type, shape: { ...EMPTY, lines: [lineString(coordinates)] } };
    case 'MultiLineString':
      return { type, shape: { ...EMPTY, lines: listOf(coordinates, type, lineString) } };
    case 'Polygon':
      return { type, shape: { ...EMPTY, polygons: [polygon(coordinates)] } };
    case 'MultiPolygon':
      return { type, shape: { ...EMPTY, polygons: listOf(coordinates, type, polygon) } };
    default:
      throw new GeoJsonError(`unknown GeoJSON type: ${JSON.stringify(value)}`);
  }
}

/** The "big polygon" CRS changes what a polygon means; it is not implemented here. */
function refuseCustomCrs(crs: unknown): void {
  const name =
    isDocument(crs) && isDocument(crs['properties']) ? crs['properties']['name'] : undefined;
  if (name === 'urn:x-mongodb:crs:strictwinding:EPSG:4326') {
    throw new GeoJsonError(
      'the strict-winding (big polygon) CRS is not supported by mongo-embedded',
    );
  }
  if (name !== 'EPSG:4326' && name !== 'urn:ogc:def:crs:OGC:1.3:CRS84' && name !== undefined) {
    throw new GeoJsonError(`Unknown CRS name: ${String(name)}`);
  }
}

/** The geometry a single value holds, if it holds one (invalid GeoJSON holds none). */
function geometryOf(value: unknown): StoredGeometry | undefined {
  const point = legacyPoint(value);
  if (point) return { kind: 'legacy', point, value };
  if (!isDocument(value) || !('type' in value)) return undefined;
  try {
    return { kind: 'geojson', ...parseGeoJson(value), value };
  } catch (error) {
    if (error instanceof GeoJsonError) return undefined;
    throw error;
  }
}

/**
 * Every geometry at a dotted path: arrays of subdocuments on the way fan out, and an array
 * at the end that is not itself a coordinate pair holds one geometry per element.
 */
export function geometriesAt(value: unknown, path: readonly string[]): StoredGeometry[] {
  const [head, ...rest] = path;
  if (head === undefined) {
    const whole = geometryOf(value);
    if (whole) return [whole];
    if (!Array.isArray(value)) return [];
    return value.flatMap((element) => {
      const found = geometryOf(element);
      return found ? [found] : [];
    });
  }
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) return geometriesAt(value[Number(head)], rest);
    return value.flatMap((element) => (isDocument(element) ? geometriesAt(element, path) : []));
  }
  if (!isDocument(value)) return [];
  return geometriesAt(value[head], rest);
}

/** A stored geometry on the sphere: a legacy pair is read as [longitude, latitude]. */
export function sphereShapeOf(geometry: StoredGeometry): SphereShape | undefined {
  if (geometry.kind === 'geojson') return geometry.shape;
  const [lng, lat] = geometry.point;
  // A flat pair outside longitude/latitude bounds has no place on the sphere.
  if (lng < -180 || lng > 180 || lat < -90 || lat > 90) return undefined;
  return { ...EMPTY, points: [[lng, lat]] };
}

/** The points of a stored geometry on the flat plane (only points have a flat meaning). */
export function flatPointsOf(geometry: StoredGeometry): XY[] | undefined {
  if (geometry.kind === 'legacy') return [geometry.point];
  if (geometry.shape.lines.length > 0 || geometry.shape.polygons.length > 0) return undefined;
  return geometry.shape.points;
}
