import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
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

describe('History: pin and delete several', () => {
  // A small server of three chats that pins and deletes as Perch does (pinned first).
  function serve() {
    let chats = [
      { id: 1, title: 'Stories', model: 'm', updated_at: daysAgo(0), message_count: 2, pinned: false },
      { id: 2, title: 'Poems', model: 'm', updated_at: daysAgo(1), message_count: 2, pinned: false },
      { id: 3, title: 'Kimchi recipe', model: 'm', updated_at: daysAgo(40), message_count: 2, pinned: false },
    ];
    const calls = mockFetch({
      'GET /perch/status': () => perchStatus(),
      'GET /perch/models': () => ({ models: [] }),
      'GET /perch/chats': () => ({ chats: [...chats].sort((a, b) => Number(b.pinned) - Number(a.pinned)) }),
      'PUT /perch/chats/3/pin': (b) => {
        chats = chats.map((c) => (c.id === 3 ? { ...c, pinned: (b as { pinned: boolean }).pinned } : c));
        return chats[2];
      },
      'POST /perch/chats/delete': (b) => {
        const ids = (b as { ids: number[] }).ids;
        chats = chats.filter((c) => !ids.includes(c.id));
        return { deleted: ids.length };
      },
    });
    return calls;
  }

  it('pins a chat: it moves first under Pinned with a pin mark', async () => {
    const calls = serve();
    render(<App />);
    await screen.findByText('Kimchi recipe');
    fireEvent.click(screen.getByRole('button', { name: 'Pin: Kimchi recipe' }));
    await waitFor(() => expect([...document.querySelectorAll('.history-group h2')].map((h) => h.textContent)).toEqual(['Pinned', 'Today', 'Yesterday']));
    expect(calls.find((c) => c.method === 'PUT')).toEqual({ method: 'PUT', path: '/perch/chats/3/pin', body: { pinned: true } });
    const first = document.querySelector('.history-list .history-item')!;
    expect(first.textContent).toContain('Kimchi recipe');
    expect(first.querySelector('[role="img"][aria-label="Pinned"]')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Unpin: Kimchi recipe' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('deletes the selected chats with one confirmation and one request', async () => {
    const calls = serve();
    render(<App />);
    await screen.findByText('Poems');
    fireEvent.click(screen.getByRole('button', { name: 'Select chats' }));
    const del = screen.getByRole('button', { name: 'Delete selected' });
    expect((del as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select “Stories”' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select “Kimchi recipe”' }));
    expect(screen.getByText('2 selected')).toBeTruthy();
    fireEvent.click(del);
    expect(calls.some((c) => c.path === '/perch/chats/delete')).toBe(false);
    fireEvent.click(within(screen.getByRole('group', { name: 'Delete 2 chats? This cannot be undone.' })).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('Kimchi recipe')).toBeNull());
    const deletes = calls.filter((c) => c.method === 'POST' && c.path === '/perch/chats/delete');
    expect(deletes).toEqual([{ method: 'POST', path: '/perch/chats/delete', body: { ids: [1, 3] } }]);
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    expect(screen.getByText('Poems')).toBeTruthy();
    expect(screen.queryByRole('checkbox')).toBeNull();
  });

  it('keeps the chats and says why when the server refuses', async () => {
    serve();
    mockFetch({
      'GET /perch/status': () => perchStatus(),
      'GET /perch/models': () => ({ models: [] }),
      'GET /perch/chats': () => ({ chats: [{ id: 1, title: 'Stories', model: 'm', updated_at: daysAgo(0), message_count: 2 }] }),
      'POST /perch/chats/delete': () =>
        new Response(JSON.stringify({ error: { message: 'chats 1: not found; nothing was deleted' } }), { status: 404 }),
    });
    render(<App />);
    await screen.findByText('Stories');
    fireEvent.click(screen.getByRole('button', { name: 'Select chats' }));
    fireEvent.click(screen.getByRole('button', { name: 'Select all' }));
    fireEvent.click(screen.getByRole('button', { name: 'Delete selected' }));
    fireEvent.click(within(screen.getByRole('group', { name: 'Delete “Stories”? This cannot be undone.' })).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText(/nothing was deleted/)).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: 'Select “Stories”' }) as HTMLInputElement).checked).toBe(true);
  });
});
