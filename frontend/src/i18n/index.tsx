import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { Language } from '../api/types';
import { en, type MessageKey } from './en';
import { ko } from './ko';

export type Lang = 'en' | 'ko';
export type { MessageKey };

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ko };

/** The language "system" means: Korean when the browser prefers it, else English. */
export function resolveLanguage(setting: Language | undefined, preferred: readonly string[]): Lang {
  if (setting === 'en' || setting === 'ko') return setting;
  for (const l of preferred) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export type Vars = Record<string, string | number>;
export type TFunc = (key: MessageKey, vars?: Vars) => string;

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const s = dictionaries[lang][key] ?? en[key];
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

interface I18n {
  lang: Lang;
  t: TFunc;
  fmt: Formatters;
}

const I18nContext = createContext<I18n>(make('en'));

function make(lang: Lang): I18n {
  return { lang, t: (key, vars) => translate(lang, key, vars), fmt: formatters(lang) };
}

export function I18nProvider({ lang, children }: { lang: Lang; children: ReactNode }) {
  const value = useMemo(() => make(lang), [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export interface Formatters {
  number(n: number, digits?: number): string;
  bytes(n: number): string;
  rate(bytesPerSecond: number): string;
  duration(seconds: number): string;
  ms(ms: number): string;
  relative(iso: string | undefined, now?: number): string;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Formatters for numbers, sizes and times in the UI's language. Sizes are binary (GiB, shown as GB as macOS users expect from Activity Monitor). */
export function formatters(lang: Lang): Formatters {
  const locale = lang === 'ko' ? 'ko-KR' : 'en-US';
  const nf = (digits: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  const number = (n: number, digits = 0) => nf(digits).format(n);
  const bytes = (n: number) => {
    if (!Number.isFinite(n) || n < 0) return '—';
    let i = 0;
    let v = n;
    // Step up at 1000 rather than 1024, so 1,004 KB reads as 1 MB.
    while (v >= 1000 && i < UNITS.length - 1) {
      v /= 1024;
      i++;
    }
    const digits = i === 0 ? 0 : v < 10 ? 1 : 0;
    return `${nf(digits).format(v)} ${UNITS[i]}`;
  };
  const t = (key: MessageKey, vars?: Vars) => translate(lang, key, vars);
  const duration = (s: number) => {
    if (!Number.isFinite(s) || s < 0) return '—';
    if (s < 60) return t('time.seconds', { n: Math.max(1, Math.round(s)) });
    if (s < 3600) return t('time.minutesShort', { n: Math.round(s / 60) });
    return t('time.hoursShort', { n: number(s / 3600, 1) });
  };
  return {
    number,
    bytes,
    rate: (bps) => bytes(bps),
    duration,
    ms: (ms) => (ms < 1000 ? `${number(ms, ms < 10 ? 1 : 0)} ms` : `${number(ms / 1000, 1)} s`),
    relative: (iso, now = Date.now()) => {
      if (!iso) return '';
      const then = Date.parse(iso);
      if (Number.isNaN(then)) return '';
      const s = Math.max(0, (now - then) / 1000);
      if (s < 60) return t('time.justNow');
      if (s < 3600) return t('time.minutes', { n: Math.floor(s / 60) });
      if (s < 86400) return t('time.hours', { n: Math.floor(s / 3600) });
      if (s < 86400 * 14) return t('time.days', { n: Math.floor(s / 86400) });
      return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(then));
    },
  };
}
