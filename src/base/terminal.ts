/**
 * Text for the terminal from untrusted sources (test names and values from
 * a stored history, a process's command line): control characters are shown
 * escaped, so an escape sequence in a value cannot clear the screen or print
 * a fake "PASS" in colour. Newlines are escaped too: one value, one line.
 */
// C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
