import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogDescription } from '../i18n/catalog';

const catalog = JSON.parse(readFileSync(resolve(process.cwd(), '../app/library/catalog/catalog.json'), 'utf8')) as {
  models: { id: string; description: string }[];
};

describe('Korean catalog', () => {
  it('words every built-in catalog description in Korean', () => {
    const missing = catalog.models.filter((m) => catalogDescription('ko', m.id, undefined) === undefined).map((m) => m.id);
    expect(missing).toEqual([]);
    for (const m of catalog.models) expect(catalogDescription('ko', m.id, m.description)).toMatch(/[가-힣]/);
  });

  it('keeps the server text in English and for entries it does not know', () => {
    expect(catalogDescription('en', 'qwen3-8b', 'Strong')).toBe('Strong');
    expect(catalogDescription('ko', 'someone/new-model', 'New')).toBe('New');
  });
});
