import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Fit } from '../api/types';
import { FitBadge } from '../components/FitBadge';
import { I18nProvider } from '../i18n';

const fit = (verdict: Fit['verdict']): Fit => ({
  weights_bytes: 4 << 30,
  kv_bytes: 1 << 30,
  compute_bytes: 1 << 28,
  overhead_bytes: 1 << 26,
  total_bytes: 5.5 * 2 ** 30,
  budget_bytes: 21 * 2 ** 30,
  verdict,
  num_ctx: 8192,
  max_ctx: 32768,
});

describe('FitBadge', () => {
  it.each([
    ['fits', 'en', 'Fits'],
    ['tight', 'en', 'Tight'],
    ['too_large', 'en', 'Too large'],
    ['fits', 'ko', '적합'],
    ['tight', 'ko', '빠듯함'],
    ['too_large', 'ko', '너무 큼'],
  ] as const)('%s in %s says %s', (verdict, lang, label) => {
    const { container } = render(
      <I18nProvider lang={lang}>
        <FitBadge fit={fit(verdict)} />
      </I18nProvider>,
    );
    const badge = container.querySelector('.badge');
    expect(badge?.textContent).toBe(label);
    expect(badge?.className).toContain(`fit-${verdict}`);
  });

  it('puts the numbers in the tooltip', () => {
    render(
      <I18nProvider lang="en">
        <FitBadge fit={fit('fits')} />
      </I18nProvider>,
    );
    expect(screen.getByText('Fits').getAttribute('title')).toBe(`Needs 5.5 GB of 21 GB available to models at ${(8192).toLocaleString()} tokens of context`);
  });

  it('says when the fit is unknown', () => {
    render(
      <I18nProvider lang="en">
        <FitBadge fit={undefined} />
      </I18nProvider>,
    );
    expect(screen.getByText('Unknown fit')).toBeTruthy();
  });
});
