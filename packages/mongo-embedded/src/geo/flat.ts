/*
 * Geometry on the flat plane of legacy coordinate pairs, as mongod's 2d queries see it:
 * $box, $center and $polygon regions and Euclidean distance. Points on a region's boundary
 * are inside it, as in mongod.
 */

export type XY = readonly [number, number];

export function euclidean(a: XY, b: XY): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** $box: the two corners may come in either order. */
export function boxContains([a, b]: readonly [XY, XY], [x, y]: XY): boolean {
  return (
    x >= Math.min(a[0], b[0]) &&
    x <= Math.max(a[0], b[0]) &&
    y >= Math.min(a[1], b[1]) &&
    y <= Math.max(a[1], b[1])
  );
}

export function circleContains(center: XY, radius: number, point: XY): boolean {
  return euclidean(center, point) <= radius;
}

function onSegment(point: XY, a: XY, b: XY): boolean {
  const crossProduct = (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0]);
  if (Math.abs(crossProduct) > 1e-12 * Math.max(1, euclidean(a, b))) return false;
  return (
    point[0] >= Math.min(a[0], b[0]) &&
    point[0] <= Math.max(a[0], b[0]) &&
    point[1] >= Math.min(a[1], b[1]) &&
    point[1] <= Math.max(a[1], b[1])
  );
}

/** $polygon: the vertices in order; the last joins the first whether repeated or not. */
export function polygonContains(vertices: readonly XY[], point: XY): boolean {
  let inside = false;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    const a = vertices[i] as XY;
    const b = vertices[j] as XY;
    if (onSegment(point, a, b)) return true;
    // Even-odd rule: count the edges a rightward ray from the point crosses.
    if (a[1] > point[1] !== b[1] > point[1]) {
      const crossingX = ((b[0] - a[0]) * (point[1] - a[1])) / (b[1] - a[1]) + a[0];
      if (point[0] < crossingX) inside = !inside;
    }
  }
  return inside;
}
