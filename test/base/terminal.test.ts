import { describe, expect, it } from 'vitest';
import { printable } from '../../src/base/terminal.ts';

describe('printable', () => {
  it('escapes terminal control sequences so a value cannot clear the screen or fake a coloured PASS', () => {
    const hostile = '\x1b[2J\x1b[H\x1b[32mPASS\x1b[0m\r\n\x07\x9b31m';
    const shown = printable(hostile);
    expect(shown).toBe('\\x1b[2J\\x1b[H\\x1b[32mPASS\\x1b[0m\\x0d\\x0a\\x07\\x9b31m');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none is left
    expect(shown).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('escapes bidirectional overrides and leaves ordinary text, unicode included, alone', () => {
    expect(printable('a\u202eb')).toBe('a\\u202eb');
    expect(printable('n1 — ok ✓ 日本')).toBe('n1 — ok ✓ 日本');
  });
});
