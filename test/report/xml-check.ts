/**
 * A small well-formedness check for the XML we write (no XML parser among the
 * dependencies): balanced tags, quoted attributes, only known entities, no
 * character XML 1.0 forbids. Returns the element names in document order.
 */
export const checkWellFormedXml = (xml: string): string[] => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for forbidden characters is the point.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml)) throw new Error('forbidden character');
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const names: string[] = [];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let root = 0;
  for (const m of body.matchAll(token)) {
    const [, close, name, attrs, selfClose, text, stray] = m;
    if (stray) throw new Error(`stray "<" at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    const entityText = text ?? attrs ?? '';
    for (const amp of entityText.matchAll(/&([^;]*);?/g)) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(amp[1]!) || !amp[0].endsWith(';')) {
        throw new Error(`bad entity ${amp[0]}`);
      }
    }
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
      continue;
    }
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      if (stack.length === 0 && ++root > 1) throw new Error('more than one root element');
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  return names;
};
