import { describe, expect, it } from 'vitest';
import { formatters, resolveLanguage, translate } from '../i18n';
import { en } from '../i18n/en';
import { ko } from '../i18n/ko';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('has every string in Korean, with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ko[key], key).toBeTruthy();
      expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
    }
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
  });

  it('follows the system language unless told', () => {
    expect(resolveLanguage('system', ['ko-KR', 'en-US'])).toBe('ko');
    expect(resolveLanguage('system', ['en-GB', 'ko'])).toBe('en');
    expect(resolveLanguage('system', ['fr-FR', 'ko-KR'])).toBe('ko');
    expect(resolveLanguage('system', ['fr-FR'])).toBe('en');
    expect(resolveLanguage('en', ['ko-KR'])).toBe('en');
    expect(resolveLanguage('ko', ['en-US'])).toBe('ko');
    expect(resolveLanguage(undefined, [])).toBe('en');
  });

  it('fills in values', () => {
    expect(translate('en', 'chat.contextUsed', { used: '1,024', total: '2,048' })).toBe('1,024 of 2,048 tokens');
    expect(translate('ko', 'chat.contextUsed', { used: '1,024', total: '2,048' })).toBe('2,048 중 1,024 토큰');
    expect(translate('en', 'chat.placeholder')).toBe('Message {model}');
  });

  it('formats sizes, durations and times', () => {
    const f = formatters('en');
    expect(f.bytes(0)).toBe('0 B');
    expect(f.bytes(1536)).toBe('1.5 KB');
    expect(f.bytes(5 * 2 ** 30)).toBe('5 GB');
    expect(f.bytes(21.33 * 2 ** 30)).toBe('21 GB');
    expect(f.duration(42)).toBe('42 s');
    expect(f.duration(600)).toBe('10 min');
    expect(formatters('ko').duration(90)).toBe('2분');
    expect(f.ms(12.34)).toBe('12 ms');
    expect(f.ms(1500)).toBe('1.5 s');
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(f.relative('2025-01-01T11:59:30Z', now)).toBe('just now');
    expect(f.relative('2025-01-01T10:00:00Z', now)).toBe('2 h ago');
    expect(formatters('ko').relative('2024-12-30T12:00:00Z', now)).toBe('2일 전');
  });
});

describe('routes', () => {
  it('a new chat with a chosen model has an address (the catalog’s Open chat)', async () => {
    const { parseHash, hashOf } = await import('../state');
    const ref = 'hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M';
    const h = hashOf({ view: 'chat', model: ref });
    expect(h).toBe('#/chat?model=hf.co%2FQwen%2FQwen3-8B-GGUF%3AQ4_K_M');
    expect(parseHash(h)).toEqual({ view: 'chat', model: ref });
    expect(parseHash('#/chat/7?model=x')).toEqual({ view: 'chat', chatId: 7 });
  });
});
