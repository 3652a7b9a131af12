// Small helpers for showing documents and passages.

import type { Formatters, TFunc } from '../i18n';

/** The last part of a path ("/notes/a.md" → "a.md"); a plain name stays as it is. */
export function baseName(name: string): string {
  const parts = name.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? name;
}

/** Where a passage is: its page in a PDF, else its lines. */
export function position(t: TFunc, p: { page?: number; start_line: number; end_line: number }): string {
  if (p.page && p.page > 0) return t('docs.page', { n: p.page });
  if (p.start_line <= 0) return '';
  if (p.end_line <= p.start_line) return t('docs.line', { n: p.start_line });
  return t('docs.lines', { from: p.start_line, to: p.end_line });
}

/** Scores are cosine similarity plus a keyword bonus: two decimals say enough. */
export function score(n: number): string {
  return n.toFixed(2);
}

type Counted = 'documents' | 'passages' | 'pages';

/** "1 passage", "3 passages" (Korean has one form; the keys keep English right). */
export function count(t: TFunc, fmt: Formatters, n: number, what: Counted): string {
  return n === 1 ? t(`docs.${what}One`) : t(`docs.${what}N`, { n: fmt.number(n) });
}
