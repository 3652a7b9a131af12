import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../api/types';
import { MessageItem } from '../components/MessageItem';
import { I18nProvider } from '../i18n';

const answer: Message = {
  id: 2,
  chat_id: 1,
  role: 'assistant',
  content: 'Once upon a time',
  reasoning: 'The user wants a story.',
  model: 'stories260k',
  finish_reason: 'stop',
  stats: { prompt_tokens: 12, cached_tokens: 0, completion_tokens: 40, ttft_ms: 12.5, tokens_per_s: 221.4, total_ms: 300 },
  created_at: '2025-01-01T00:00:00Z',
};

function wrap(node: React.ReactNode, lang: 'en' | 'ko' = 'en') {
  return render(<I18nProvider lang={lang}>{node}</I18nProvider>);
}

describe('MessageItem', () => {
  it('shows an answer with its speed and token counts, reasoning collapsed', () => {
    const { container } = wrap(<MessageItem message={answer} canRegenerate onRegenerate={() => undefined} />);
    expect(container.textContent).toContain('Once upon a time');
    const stats = container.querySelector('.stats');
    // Speed and tokens on the line; prompt and first-token time in the tooltip (and for screen readers).
    expect(stats?.firstChild?.textContent).toBe('221.4 tok/s · 40 tokens');
    expect(stats?.getAttribute('title')).toBe('221.4 tok/s · 40 tokens · 12 in · 13 ms to first token');
    expect(stats?.textContent).toContain('12 in · 13 ms to first token');
    const details = container.querySelector('details');
    expect(details?.open).toBe(false);
    expect(details?.querySelector('summary')?.textContent).toBe('Thinking');
    expect(screen.getByRole('button', { name: 'Regenerate' })).toBeTruthy();
  });

  it('marks a stopped answer', () => {
    wrap(<MessageItem message={{ ...answer, stopped: true, reasoning: '' }} />);
    expect(screen.getByText('Stopped')).toBeTruthy();
  });

  it('shows progress while streaming and hides the actions', () => {
    wrap(<MessageItem message={{ ...answer, content: '', reasoning: '', stats: undefined }} streaming />);
    expect(screen.getByText('Writing…')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Regenerate' })).toBeNull();
  });

  it('edits and resends a user message', () => {
    const onEdit = vi.fn();
    wrap(<MessageItem message={{ id: 1, chat_id: 1, role: 'user', content: 'hello', created_at: '' }} canEdit onEdit={onEdit} />);
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'hello again' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save & send' }));
    expect(onEdit).toHaveBeenCalledWith('hello again', 1);
  });

  it('speaks Korean', () => {
    wrap(<MessageItem message={{ ...answer, stopped: true }} />, 'ko');
    expect(screen.getByText('중지됨')).toBeTruthy();
    expect(screen.getByText(/221\.4 토큰\/초/)).toBeTruthy();
  });
});
