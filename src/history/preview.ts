/**
 * A bounded, printable preview of an untrusted value (what the system under
 * test returned). Never stringifies a huge value whole: it walks at most a few
 * levels and stops once `max` characters are written. The result is plain
 * text; escape it for HTML or XML where it is shown.
 */
export const previewValue = (v: unknown, max = 120): string => {
  let out = '';
  const walk = (x: unknown, depth: number): void => {
    if (out.length > max) return;
    if (Array.isArray(x)) {
      if (depth > 3) {
        out += '[…]';
        return;
      }
      out += '[';
      for (let i = 0; i < x.length && out.length <= max; i++) {
        if (i > 0) out += ',';
        walk(x[i], depth + 1);
      }
      out += ']';
    } else if (typeof x === 'object' && x !== null) {
      if (depth > 3) {
        out += '{…}';
        return;
      }
      out += '{';
      let first = true;
      for (const k in x) {
        if (out.length > max) break;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k.slice(0, max))}:`;
        walk((x as Record<string, unknown>)[k], depth + 1);
      }
      out += '}';
    } else if (typeof x === 'string') {
      out += JSON.stringify(x.length > max ? x.slice(0, max) : x);
    } else if (x === undefined) {
      out += 'undefined';
    } else {
      out += String(x);
    }
  };
  walk(v, 0);
  return out.length > max ? `${out.slice(0, max)}…` : out;
};
