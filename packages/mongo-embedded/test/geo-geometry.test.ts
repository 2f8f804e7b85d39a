import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boxContains, circleContains, euclidean, polygonContains } from '../src/geo/flat';
import { GeoJsonError, geometriesAt, legacyPoint, parseGeoJson } from '../src/geo/geometry';
import {
  EARTH_RADIUS_METERS,
  distanceRadians,
  distanceToShape,
  intersects,
  within,
  withinCap,
} from '../src/geo/sphere';
import type { LngLat, Rings, SphereShape } from '../src/geo/sphere';

/* The pure geometry behind the geo operators, checked against values worked out by hand. */

const point = (p: LngLat): SphereShape => ({ points: [p], lines: [], polygons: [] });
const line = (...vertices: LngLat[]): SphereShape => ({
  points: [],
  lines: [vertices],
  polygons: [],
});
const square = (west: number, south: number, east: number, north: number): Rings => [
  [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ],
];

describe('geometry on the sphere', () => {
  test('when two points are a quarter turn apart, then their distance is pi/2 radians', () => {
    assert.ok(Math.abs(distanceRadians([0, 0], [90, 0]) - Math.PI / 2) < 1e-12);
    assert.ok(Math.abs(distanceRadians([0, 0], [0, 90]) - Math.PI / 2) < 1e-12);
  });

  test('when one degree of longitude is measured on the equator, then it is 111.3 km in earth meters', () => {
    const meters = distanceRadians([0, 0], [1, 0]) * EARTH_RADIUS_METERS;
    assert.ok(Math.abs(meters - 111319.5) < 1, String(meters));
  });

  test('when a ring is wound either way, then its inside is the smaller region', () => {
    const clockwise: Rings = [[...(square(-5, -5, 5, 5)[0] as LngLat[])].reverse()];
    assert.ok(within(point([0, 0]), [square(-5, -5, 5, 5)]));
    assert.ok(within(point([0, 0]), [clockwise]));
    assert.ok(!within(point([20, 0]), [clockwise]));
  });

  test('when a polygon has a hole, then a point in the hole is not within it', () => {
    const withHole: Rings = [...square(-10, -10, 10, 10), ...square(-1, -1, 1, 1)];
    assert.ok(!within(point([0, 0]), [withHole]));
    assert.ok(within(point([5, 5]), [withHole]));
  });

  test('when an edge is a geodesic, then it bows towards the pole and a point just inside the straight line is outside', () => {
    // The edge from (-60, 60) to (60, 60) runs far north of the 60th parallel at lng 0.
    const cap: Rings = [
      [
        [-60, 60],
        [60, 60],
        [0, 80],
        [-60, 60],
      ],
    ];
    assert.ok(!within(point([0, 61]), [cap]));
    assert.ok(within(point([0, 75]), [cap]));
  });

  test('when a line crosses the antimeridian, then it intersects a meridian segment at 180', () => {
    assert.ok(intersects(line([-178, 10], [178, 10]), line([180, 11], [180, 9])));
    assert.ok(!intersects(line([-178, 10], [178, 10]), line([0, 11], [0, 9])));
  });

  test('when a polygon overlaps another or holds a vertex of it, then they intersect', () => {
    const region: SphereShape = { points: [], lines: [], polygons: [square(26, 36, 45, 42)] };
    const inside: SphereShape = { points: [], lines: [], polygons: [square(28, 40, 29, 41)] };
    const away: SphereShape = { points: [], lines: [], polygons: [square(-1, -1, 1, 1)] };
    assert.ok(intersects(inside, region));
    assert.ok(!intersects(away, region));
    assert.ok(intersects(point([30, 40]), region));
  });

  test('when a line leaves a polygon, then it is not within it even with both ends inside', () => {
    const horseshoe: Rings = [
      [
        [0, 0],
        [10, 0],
        [10, 10],
        [6, 10],
        [6, 2],
        [4, 2],
        [4, 10],
        [0, 10],
        [0, 0],
      ],
    ];
    assert.ok(!within(line([2, 8], [8, 8]), [horseshoe]));
    assert.ok(within(line([2, 1], [8, 1]), [horseshoe]));
  });

  test('when a point is measured to a line, then the distance is to the nearest point of the edge', () => {
    const fromEdge = distanceToShape([5, 1], line([0, 0], [10, 0]));
    assert.ok(Math.abs(fromEdge - distanceRadians([5, 1], [5, 0])) < 1e-9);
    assert.equal(
      distanceToShape([1, 1], { points: [], lines: [], polygons: [square(0, 0, 2, 2)] }),
      0,
    );
  });

  test('when a cap is asked for, then points within its radius in radians are inside', () => {
    assert.ok(withinCap(point([10, 20]), [11, 20], 0.4));
    assert.ok(!withinCap(point([40, 90]), [11, 20], 0.4));
  });
});

describe('geometry on the plane', () => {
  test('when corners come in any order, then the box holds its boundary and inside', () => {
    assert.ok(
      boxContains(
        [
          [40, 60],
          [30, 40],
        ],
        [30, 40],
      ),
    );
    assert.ok(
      boxContains(
        [
          [30, 40],
          [40, 60],
        ],
        [35, 50],
      ),
    );
    assert.ok(
      !boxContains(
        [
          [30, 40],
          [40, 60],
        ],
        [41, 50],
      ),
    );
  });

  test('when a circle or polygon is asked for, then distances are Euclidean', () => {
    assert.equal(euclidean([0, 0], [3, 4]), 5);
    assert.ok(circleContains([0, 0], 5, [3, 4]));
    assert.ok(!circleContains([0, 0], 4.9, [3, 4]));
    const triangle: LngLat[] = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    assert.ok(polygonContains(triangle, [2, 2]));
    assert.ok(polygonContains(triangle, [5, 5]));
    assert.ok(!polygonContains(triangle, [6, 6]));
  });
});

describe('reading geometries', () => {
  test('when a value is [x, y] or a subdocument of two numbers, then it is a legacy pair', () => {
    assert.deepEqual(legacyPoint([1, 2]), [1, 2]);
    assert.deepEqual(legacyPoint({ long: 10, lat: 20 }), [10, 20]);
    assert.equal(legacyPoint({ type: 'Point', coordinates: [1, 2] }), undefined);
    assert.equal(legacyPoint(['1', 2]), undefined);
  });

  test('when GeoJSON is malformed, then it is refused with mongod-style reasons', () => {
    assert.throws(() => parseGeoJson({ type: 'Point', coordinates: [200, 0] }), /out of bounds/);
    assert.throws(
      () =>
        parseGeoJson({
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [2, 0],
              [0, 1],
            ],
          ],
        }),
      (error) => error instanceof GeoJsonError && /not closed/.test(error.message),
    );
    assert.throws(
      () => parseGeoJson({ type: 'Circle', coordinates: [0, 0] }),
      /unknown GeoJSON type/,
    );
  });

  test('when a path runs through arrays, then each element contributes its geometry', () => {
    const document = {
      geom: [
        { type: 'Point', coordinates: [1, 2] },
        {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
      places: [{ loc: [3, 4] }, { loc: [5, 6] }],
    };
    assert.deepEqual(
      geometriesAt(document, ['geom']).map((geometry) => geometry.kind),
      ['geojson', 'geojson'],
    );
    assert.deepEqual(
      geometriesAt(document, ['places', 'loc']).map((geometry) => geometry.value),
      [
        [3, 4],
        [5, 6],
      ],
    );
  });
});
