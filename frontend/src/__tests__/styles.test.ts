import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// A block left open in styles.css silently moves every later rule inside it: a missing "}"
// after the desktop rail's @media (min-width: 1000px) made the history's date groups, pins
// and select mode, the Settings storage list and more unstyled in the 420 px popover.
describe('styles.css', () => {
  const css = readFileSync(resolve(process.cwd(), 'src/styles.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

  it('closes every block it opens', () => {
    let depth = 0;
    css.split('\n').forEach((line, i) => {
      for (const ch of line) {
        if (ch === '{') depth++;
        if (ch === '}') depth--;
        if (depth < 0) throw new Error(`line ${i + 1} closes a block that is not open`);
      }
    });
    expect(depth).toBe(0);
  });

  it('keeps the history and storage rules outside the desktop-only @media block', () => {
    for (const rule of ['.history-group h2', '.history-pin', '.storage-list', '.conn-banner']) {
      const at = css.indexOf(`${rule} {`);
      expect(at, rule).toBeGreaterThan(0);
      let depth = 0;
      for (const ch of css.slice(0, at)) {
        if (ch === '{') depth++;
        if (ch === '}') depth--;
      }
      expect(depth, `${rule} is nested ${depth} block(s) deep`).toBe(0);
    }
  });
});
