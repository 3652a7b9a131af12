import { describe, expect, it } from 'vitest';
import { SSEParser } from '../api/client';

describe('SSEParser', () => {
  it('joins events split across chunks and skips bad ones', () => {
    const p = new SSEParser();
    expect(p.push('data: {"type":"del')).toEqual([]);
    expect(p.push('ta","text":"한"}\n\ndata: not json\n\n: comment\n\ndata: {"a":1}\r\n\r\n')).toEqual([{ type: 'delta', text: '한' }, { a: 1 }]);
    expect(p.push('data: [DONE]\n\n')).toEqual([]);
  });
});
