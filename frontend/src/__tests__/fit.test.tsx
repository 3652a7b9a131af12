import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Fit, Model } from '../api/types';
import { FitBadge } from '../components/FitBadge';
import { ModelSelect } from '../components/ModelSelect';
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

describe('ModelSelect', () => {
  const model = (name: string, extra: Partial<Model>): Model => ({
    name,
    size: 5 * 2 ** 30,
    quantization: 'Q4_K_M',
    architecture: 'qwen3',
    parameters: 8e9,
    context_length: 40960,
    modified_at: '2026-01-01T00:00:00Z',
    default: false,
    ...extra,
  });

  it('says each model’s name, size, and whether it is loaded or fits, without a tooltip', () => {
    const models = [
      model('hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M', { display_name: 'Qwen3 8B · Q4_K_M', fit: fit('fits') }),
      model('hf.co/Qwen/Qwen3-32B-GGUF:Q8_0', { display_name: 'Qwen3 32B · Q8_0', quantization: 'Q8_0', fit: fit('too_large') }),
      model('llama3.2:3b', { display_name: 'Llama 3.2 3B · Q4_K_M', loaded: { slot_ctx: 4096, slots: 1, busy: 0, generating: false, loaded_at: '', memory: {} as NonNullable<Model['loaded']>['memory'] } }),
    ];
    render(
      <I18nProvider lang="en">
        <ModelSelect models={models} value="hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M" onChange={() => {}} label="Model" />
      </I18nProvider>,
    );
    const texts = screen.getAllByRole('option').map((o) => o.textContent);
    expect(texts).toEqual(['Qwen3 8B · Q4_K_M — 5 GB, Fits', 'Qwen3 32B · Q8_0 — 5 GB, Too large', 'Llama 3.2 3B · Q4_K_M — 5 GB, Loaded']);
  });
});
