/**
 * Everything shown in a report that came from a run — values returned by the
 * system under test, error strings, node names, the config — is untrusted.
 * It goes through one of these before it reaches HTML or XML.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an HTML element body or a quoted attribute value. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * JSON safe inside `<script type="application/json">`: `<`, `>` and `&` become
 * \u escapes (so `</script>` and `<!--` cannot end or bend the script element),
 * and so do U+2028/U+2029 (line terminators for old JS parsers).
 * JSON.parse of the text gives back the value unchanged.
 */
export const jsonForScript = (value: unknown): string =>
  (JSON.stringify(value) ?? 'null').replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * Text for XML 1.0 (JUnit): escapes markup characters and replaces the
 * characters XML 1.0 cannot hold at all (control characters, lone
 * surrogates, U+FFFE/U+FFFF) with U+FFFD, so a hostile value can never make
 * the file unparseable.
 */
const XML_FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the characters XML 1.0 forbids is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const escapeXml = (s: string): string =>
  s.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
