import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatsLine } from '../components/MessageItem';
import { I18nProvider } from '../i18n';

const stats = { prompt_tokens: 12, cached_tokens: 0, completion_tokens: 40, ttft_ms: 0, tokens_per_s: 200, total_ms: 300 };

describe('StatsLine', () => {
  it("reports speculative decoding's acceptance with the answer's stats", () => {
    const { container } = render(
      <I18nProvider lang="en">
        <StatsLine stats={{ ...stats, draft_tokens: 32, draft_accepted: 24 }} />
      </I18nProvider>,
    );
    expect(container.querySelector('.stats')?.textContent).toContain('75% of drafts accepted');
  });

  it.each([
    ['en', 'model', '75% of drafts accepted (draft model)'],
    ['en', 'ngram', '75% of drafts accepted (prompt lookup)'],
    ['ko', 'model', '초안 토큰 75% 채택 (초안 모델)'],
    ['ko', 'ngram', '초안 토큰 75% 채택 (프롬프트 조회)'],
  ] as const)('says where the drafts came from (%s, %s)', (lang, source, want) => {
    const { container } = render(
      <I18nProvider lang={lang}>
        <StatsLine stats={{ ...stats, draft_tokens: 32, draft_accepted: 24, draft_source: source }} />
      </I18nProvider>,
    );
    expect(container.querySelector('.stats')?.textContent).toContain(want);
  });

  it('says nothing of drafts when none were guessed', () => {
    const { container } = render(
      <I18nProvider lang="en">
        <StatsLine stats={stats} />
      </I18nProvider>,
    );
    expect(container.querySelector('.stats')?.textContent).not.toContain('drafts');
  });
});
