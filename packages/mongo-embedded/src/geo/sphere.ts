/*
 * Geometry on the unit sphere, as mongod's 2dsphere queries see it: edges are geodesics
 * (the shorter great-circle arc between two vertices), and a polygon ring bounds the
 * smaller of the two regions it divides the sphere into (mongod's rule for GeoJSON
 * polygons without the "big polygon" CRS). Coordinates are [longitude, latitude] degrees.
 */

export type LngLat = readonly [number, number];
type Vector = readonly [number, number, number];

/** mongod's kRadiusOfEarthInMeters, which turns angles into the meters $near reports. */
export const EARTH_RADIUS_METERS = 6378100;

/** Angles this close count as equal: about a tenth of a millimetre on the earth. */
const EPSILON = 1e-11;

export function toVector([lng, lat]: LngLat): Vector {
  const phi = (lat * Math.PI) / 180;
  const lambda = (lng * Math.PI) / 180;
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
}

function dot(a: Vector, b: Vector): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function cross(a: Vector, b: Vector): Vector {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/** The sign of the triple product: which side of the great circle through a, b lies c. */
function orientation(a: Vector, b: Vector, c: Vector): number {
  const value = dot(cross(a, b), c);
  return Math.abs(value) < EPSILON ? 0 : Math.sign(value);
}

/** The angle between two points seen from the centre, in radians. */
function angleBetween(a: Vector, b: Vector): number {
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}

/** Great-circle distance in radians. */
export function distanceRadians(a: LngLat, b: LngLat): number {
  return angleBetween(toVector(a), toVector(b));
}

/** A ring's vertices as vectors, without the closing repetition of the first. */
function ringVectors(ring: readonly LngLat[]): Vector[] {
  const open =
    ring.length > 1 && sameLngLat(ring[0], ring[ring.length - 1]) ? ring.slice(0, -1) : ring;
  return open.map(toVector);
}

function sameLngLat(a: LngLat | undefined, b: LngLat | undefined): boolean {
  return a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1];
}

function edgesOf(loop: Vector[]): [Vector, Vector][] {
  return loop.map((vertex, i) => [vertex, loop[(i + 1) % loop.length] as Vector]);
}

/** The signed area of a loop (positive when it turns counter-clockwise around its left side). */
function signedArea(loop: Vector[]): number {
  const [origin] = loop;
  if (origin === undefined) return 0;
  let area = 0;
  for (let i = 1; i + 1 < loop.length; i++) {
    const b = loop[i] as Vector;
    const c = loop[i + 1] as Vector;
    area +=
      2 * Math.atan2(dot(origin, cross(b, c)), 1 + dot(origin, b) + dot(b, c) + dot(c, origin));
  }
  return area;
}

/** The loop oriented so that the smaller region is on its left. */
function normalizedLoop(ring: readonly LngLat[]): Vector[] {
  const loop = ringVectors(ring);
  return signedArea(loop) < 0 ? loop.reverse() : loop;
}

/**
 * Whether a point lies in the region on a normalized loop's left: the loop winds once
 * around it, counter-clockwise, seen from above the point (a geodesic edge never sweeps
 * more than half a turn, so each edge's turn is the shorter angle). Boundary points count.
 */
function loopContains(loop: Vector[], point: Vector): boolean {
  let winding = 0;
  for (const [a, b] of edgesOf(loop)) {
    if (onArc(point, a, b)) return true;
    const turn = Math.atan2(dot(point, cross(a, b)), dot(a, b) - dot(a, point) * dot(b, point));
    winding += turn;
  }
  return winding > Math.PI;
}

/** Whether a point lies on a geodesic edge: on its great circle, between its ends. */
function onArc(point: Vector, a: Vector, b: Vector): boolean {
  const normal = cross(a, b);
  const length = norm(normal);
  if (length < EPSILON) return angleBetween(a, point) < EPSILON;
  if (Math.abs(dot(normal, point)) / length > EPSILON) return false;
  return dot(cross(a, point), normal) >= 0 && dot(cross(point, b), normal) >= 0;
}

/** Whether two geodesic edges share a point (crossing or touching). */
function arcsIntersect(a: Vector, b: Vector, c: Vector, d: Vector): boolean {
  if (onArc(a, c, d) || onArc(b, c, d) || onArc(c, a, b) || onArc(d, a, b)) return true;
  const abc = orientation(a, b, c);
  const abd = orientation(a, b, d);
  const cda = orientation(c, d, a);
  const cdb = orientation(c, d, b);
  // Both pairs straddle the other's great circle, on the same one of its two crossings.
  return abc !== 0 && abc === -abd && cda === -cdb && cda === abd;
}

/** The angular distance from a point to a geodesic edge. */
function distanceToArc(point: Vector, a: Vector, b: Vector): number {
  const normal = cross(a, b);
  const length = norm(normal);
  if (length > EPSILON) {
    const n: Vector = [normal[0] / length, normal[1] / length, normal[2] / length];
    const along = dot(point, n);
    const foot: Vector = [
      point[0] - along * n[0],
      point[1] - along * n[1],
      point[2] - along * n[2],
    ];
    // The foot of the perpendicular counts only when it falls between the edge's ends.
    if (norm(foot) > EPSILON && dot(cross(a, foot), n) >= 0 && dot(cross(foot, b), n) >= 0) {
      return Math.abs(Math.asin(Math.max(-1, Math.min(1, along))));
    }
  }
  return Math.min(angleBetween(point, a), angleBetween(point, b));
}

/** A polygon as GeoJSON rings: the first the shell, the others holes. */
export type Rings = readonly (readonly LngLat[])[];

/** A geometry reduced to what the relations need: points, polylines and polygons. */
export interface SphereShape {
  points: LngLat[];
  lines: LngLat[][];
  polygons: Rings[];
}

interface PreparedPolygon {
  shell: Vector[];
  holes: Vector[][];
}

function preparePolygon(rings: Rings): PreparedPolygon {
  const [shell = [], ...holes] = rings;
  return { shell: normalizedLoop(shell), holes: holes.map(normalizedLoop) };
}

function polygonContainsPoint(polygon: PreparedPolygon, point: Vector): boolean {
  return (
    loopContains(polygon.shell, point) && !polygon.holes.some((hole) => strictlyInside(hole, point))
  );
}

function strictlyInside(loop: Vector[], point: Vector): boolean {
  return loopContains(loop, point) && !edgesOf(loop).some(([a, b]) => onArc(point, a, b));
}

function polygonEdges(polygon: PreparedPolygon): [Vector, Vector][] {
  return [polygon.shell, ...polygon.holes].flatMap(edgesOf);
}

function lineEdges(line: LngLat[]): [Vector, Vector][] {
  const vectors = line.map(toVector);
  return vectors.slice(1).map((vertex, i) => [vectors[i] as Vector, vertex]);
}

function edgesOfShape(shape: SphereShape, polygons: PreparedPolygon[]): [Vector, Vector][] {
  return [...shape.lines.flatMap(lineEdges), ...polygons.flatMap(polygonEdges)];
}

function verticesOf(shape: SphereShape): Vector[] {
  return [
    ...shape.points,
    ...shape.lines.flat(),
    ...shape.polygons.flatMap((rings) => rings.flat()),
  ].map(toVector);
}

/** $geoIntersects: the two geometries share at least one point. */
export function intersects(left: SphereShape, right: SphereShape): boolean {
  const leftPolygons = left.polygons.map(preparePolygon);
  const rightPolygons = right.polygons.map(preparePolygon);
  const leftEdges = edgesOfShape(left, leftPolygons);
  const rightEdges = edgesOfShape(right, rightPolygons);
  const touches = (vertices: Vector[], edges: [Vector, Vector][], polygons: PreparedPolygon[]) =>
    vertices.some(
      (vertex) =>
        edges.some(([a, b]) => onArc(vertex, a, b)) ||
        polygons.some((polygon) => polygonContainsPoint(polygon, vertex)),
    );
  const samePoint = left.points.some((p) =>
    right.points.some((q) => angleBetween(toVector(p), toVector(q)) < EPSILON),
  );
  return (
    samePoint ||
    touches(verticesOf(left), rightEdges, rightPolygons) ||
    touches(verticesOf(right), leftEdges, leftPolygons) ||
    leftEdges.some(([a, b]) => rightEdges.some(([c, d]) => arcsIntersect(a, b, c, d)))
  );
}

/**
 * $geoWithin $geometry: every part of the shape lies in one polygon of the region. An edge
 * of the shape may run along the region's boundary but not cross it.
 */
export function within(shape: SphereShape, region: Rings[]): boolean {
  const polygons = region.map(preparePolygon);
  const inside = (part: SphereShape): boolean =>
    polygons.some((polygon) => {
      const vertices = verticesOf(part);
      if (!vertices.every((vertex) => polygonContainsPoint(polygon, vertex))) return false;
      const boundary = polygonEdges(polygon);
      return edgesOfShape(part, part.polygons.map(preparePolygon)).every(([a, b]) =>
        boundary.every(([c, d]) => !properlyCross(a, b, c, d)),
      );
    });
  return (
    shape.points.every((point) => inside({ points: [point], lines: [], polygons: [] })) &&
    shape.lines.every((line) => inside({ points: [], lines: [line], polygons: [] })) &&
    shape.polygons.every((rings) => inside({ points: [], lines: [], polygons: [rings] }))
  );
}

function properlyCross(a: Vector, b: Vector, c: Vector, d: Vector): boolean {
  const abc = orientation(a, b, c);
  const abd = orientation(a, b, d);
  const cda = orientation(c, d, a);
  const cdb = orientation(c, d, b);
  return abc !== 0 && cda !== 0 && abc === -abd && cda === -cdb && cda === abd;
}

/** $centerSphere: every vertex of the shape within `radius` radians of the centre. */
export function withinCap(shape: SphereShape, center: LngLat, radius: number): boolean {
  const c = toVector(center);
  return verticesOf(shape).every((vertex) => angleBetween(c, vertex) <= radius + EPSILON);
}

/** The angular distance from a point to the nearest point of a shape (0 inside a polygon). */
export function distanceToShape(point: LngLat, shape: SphereShape): number {
  const p = toVector(point);
  const polygons = shape.polygons.map(preparePolygon);
  if (polygons.some((polygon) => polygonContainsPoint(polygon, p))) return 0;
  const distances = [
    ...shape.points.map((q) => angleBetween(p, toVector(q))),
    ...edgesOfShape(shape, polygons).map(([a, b]) => distanceToArc(p, a, b)),
  ];
  return distances.length === 0 ? Infinity : Math.min(...distances);
}
