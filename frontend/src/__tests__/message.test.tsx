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
    // Everything on view, not only in a tooltip: speed, tokens, prompt tokens, time to first token.
    expect(stats?.textContent).toBe('221.4 tok/s · 40 tokens · 12 in · 13 ms to first token');
    expect(stats?.getAttribute('title')).toBeNull();
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
    // One send button (the composer's), and a note that the edit makes a new version.
    expect(screen.queryByRole('button', { name: 'Save & send' })).toBeNull();
    expect(screen.getAllByRole('button', { name: 'Send' })).toHaveLength(1);
    expect(screen.getByText(/makes a new version/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(onEdit).toHaveBeenCalledWith('hello again', 1);
  });

  it('shows cached prompt tokens on the line', () => {
    const { container } = wrap(<MessageItem message={{ ...answer, stats: { ...answer.stats!, cached_tokens: 8 } }} />);
    expect(container.querySelector('.stats')?.textContent).toContain('12 in (8 cached)');
  });

  it('marks an answer cut by the token limit and offers Continue', () => {
    const onContinue = vi.fn();
    wrap(<MessageItem message={{ ...answer, finish_reason: 'length' }} canContinue onContinue={onContinue} />);
    expect(screen.getByText('Cut off at the token limit')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(onContinue).toHaveBeenCalledWith(2);
  });

  it('moves between versions of an answer', () => {
    const onSelect = vi.fn();
    wrap(<MessageItem message={{ ...answer, id: 5, versions: [2, 5, 9] }} canRegenerate onSelectVersion={onSelect} />);
    expect(screen.getByRole('group', { name: 'Version 2 of 3' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Previous version' }));
    expect(onSelect).toHaveBeenCalledWith(2);
    fireEvent.click(screen.getByRole('button', { name: 'Next version' }));
    expect(onSelect).toHaveBeenCalledWith(9);
  });

  it('says when earlier messages were left out to fit the context', () => {
    wrap(<MessageItem message={{ ...answer, dropped: 4 }} />);
    expect(screen.getByRole('note').textContent).toBe('4 earlier messages are not sent to the model: this chat is longer than its context.');
  });

  it('speaks Korean', () => {
    wrap(<MessageItem message={{ ...answer, stopped: true }} />, 'ko');
    expect(screen.getByText('중지됨')).toBeTruthy();
    expect(screen.getByText(/221\.4 토큰\/초/)).toBeTruthy();
  });
});
