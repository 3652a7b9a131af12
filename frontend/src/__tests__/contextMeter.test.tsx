import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ContextMeter } from '../components/ContextMeter';
import { I18nProvider } from '../i18n';

const meter = { model: 'studio/qwen3:8b', used_tokens: 120, context_tokens: 40960, kv_bytes_per_token: 0, kv_bytes: 0, loaded: false };

describe('the context meter', () => {
  // A model on another machine was said to be "not loaded": its memory is not this Mac's to show.
  it('says where a remote model runs instead of "not loaded"', () => {
    render(
      <I18nProvider lang="en">
        <ContextMeter meter={meter} remote="studio" />
      </I18nProvider>,
    );
    expect(screen.getByText(/120 of 40,960 tokens · runs on studio/)).toBeTruthy();
    expect(screen.queryByText(/not loaded/)).toBeNull();
  });

  it('shows the KV memory of a model loaded here, and "not loaded" otherwise', () => {
    const { rerender } = render(
      <I18nProvider lang="ko">
        <ContextMeter meter={{ ...meter, model: 'qwen3:8b' }} />
      </I18nProvider>,
    );
    expect(screen.getByText(/모델이 로드되지 않음/)).toBeTruthy();
    rerender(
      <I18nProvider lang="en">
        <ContextMeter meter={{ ...meter, model: 'qwen3:8b', loaded: true, kv_bytes: 4 << 20 }} />
      </I18nProvider>,
    );
    expect(screen.getByText(/· KV 4(\.0)? MB/)).toBeTruthy();
  });
});
