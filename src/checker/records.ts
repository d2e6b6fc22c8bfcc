/**
 * A Map as a plain results.json record, keys sorted. Keys can be untrusted
 * (node names, register keys): Object.fromEntries defines own properties,
 * so even "__proto__" stays an ordinary key.
 */
export const sortedRecord = <T>(m: ReadonlyMap<string, T>): Record<string, T> =>
  Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
