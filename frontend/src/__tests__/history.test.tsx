import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { mockFetch, perchStatus } from '../test/fetchMock';
import { groupOf } from '../views/chat/ChatHistory';

const now = new Date();
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();

beforeEach(() => {
  window.location.hash = '#/chat';
  mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [] }),
    'GET /perch/chats': (_b) => undefined,
  });
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const u = new URL(String(input), 'http://x');
    if (u.pathname === '/perch/chats') {
      const q = u.searchParams.get('q') ?? '';
      const chats = q
        ? [{ id: 3, title: 'Kimchi recipe', model: 'm', updated_at: daysAgo(40), message_count: 2, snippet: '…ferment the kimchi for two days…' }]
        : [
            { id: 1, title: 'Stories', model: 'm', updated_at: daysAgo(0), message_count: 2 },
            { id: 2, title: 'Poems', model: 'm', updated_at: daysAgo(1), message_count: 2 },
            { id: 3, title: 'Kimchi recipe', model: 'm', updated_at: daysAgo(40), message_count: 2 },
          ];
      return new Response(JSON.stringify({ chats }), { headers: { 'Content-Type': 'application/json' } });
    }
    return real(input, init);
  }) as typeof fetch;
});

describe('History', () => {
  it('groups chats by date', async () => {
    render(<App />);
    await screen.findByText('Poems');
    const groups = [...document.querySelectorAll('.history-group h2')].map((h) => h.textContent);
    expect(groups).toEqual(['Today', 'Yesterday', 'Earlier']);
    expect(groupOf(daysAgo(3))).toBe('week');
  });

  it('marks search hits in titles and snippets', async () => {
    render(<App />);
    await screen.findByText('Poems');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search chats' }), { target: { value: 'KIMCHI' } });
    await waitFor(() => expect(document.querySelectorAll('.history-list mark')).toHaveLength(2));
    expect([...document.querySelectorAll('.history-list mark')].map((m) => m.textContent)).toEqual(['Kimchi', 'kimchi']);
    expect(document.querySelector('.history-group')).toBeNull();
  });
});
