/** Binary searches over sorted arrays of times, shared by the checkers. */

/** Number of entries < x in a sorted array. */
export const lowerBound = (sorted: ArrayLike<number>, x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** Number of entries <= x in a sorted array. */
export const upperBound = (sorted: ArrayLike<number>, x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
