import { describe, expect, it } from 'vitest';
import { groupTokens } from '../lib/tokens';
import { showPiece } from '../views/TokensView';

const byte = (b: number) => ({ id: b + 3, piece: `<0x${b.toString(16).toUpperCase()}>`, bytes: [b] });

describe('tokens', () => {
  it('groups byte tokens into the Hangul syllable they spell', () => {
    // 안 = EC 95 88, then an ordinary token, then a stray continuation byte.
    const g = groupTokens([byte(0xec), byte(0x95), byte(0x88), { id: 281, piece: ' he' }, byte(0x95)]);
    expect(g.map((x) => [x.char, x.tokens.length])).toEqual([
      ['안', 3],
      [undefined, 1],
      [undefined, 1],
    ]);
  });

  it('leaves a cut-off sequence as single bytes', () => {
    expect(groupTokens([byte(0xec), byte(0x95)]).map((x) => x.tokens.length)).toEqual([1, 1]);
  });

  it('shows spaces, newlines and tabs', () => {
    expect(showPiece(' a\n\tb')).toBe('·a↵→b');
    expect(showPiece('')).toBe('∅');
  });
});
