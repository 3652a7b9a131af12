import type { TokenPiece } from '../api/types';

/** A token, or a run of byte tokens that together spell one character (Hangul takes three). */
export interface TokenGroup {
  /** The character the bytes spell; undefined for an ordinary token. */
  char?: string;
  tokens: TokenPiece[];
}

function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 0; // a continuation byte cannot start a character
}

/**
 * Groups byte-fallback tokens into the characters they encode, so the Tokens view can show
 * that 다 cost three tokens. Bytes that do not form a whole character stay single.
 */
export function groupTokens(tokens: TokenPiece[]): TokenGroup[] {
  const out: TokenGroup[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i]!;
    const lead = t.bytes?.length === 1 ? t.bytes[0]! : undefined;
    const n = lead === undefined ? 0 : utf8Length(lead);
    if (n >= 2 && i + n <= tokens.length) {
      const run = tokens.slice(i, i + n);
      if (run.every((r) => r.bytes?.length === 1)) {
        try {
          const char = decoder.decode(new Uint8Array(run.map((r) => r.bytes![0]!)));
          out.push({ char, tokens: run });
          i += n;
          continue;
        } catch {
          // not a valid sequence: fall through and show the byte alone
        }
      }
    }
    out.push({ tokens: [t] });
    i++;
  }
  return out;
}
