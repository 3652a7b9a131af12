import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Chat, Message } from '../api/types';
import { App } from '../App';
import { isMac } from '../lib/shortcuts';
import { mockFetch, perchStatus, type Call } from '../test/fetchMock';

const mod = isMac ? { metaKey: true } : { ctrlKey: true };
const question: Message = { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' };
const answer: Message = { id: 2, chat_id: 7, role: 'assistant', content: 'Once upon a time.', model: 'stories260k', parent_id: 1, created_at: '' };
const chat: Chat = { id: 7, title: 'Stories', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '', messages: [question, answer] };
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/chat';
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' }] }),
    'GET /perch/chats': () => ({
      chats: [
        { id: 7, title: 'Stories', model: 'stories260k', updated_at: '', message_count: 1 },
        { id: 8, title: 'Recipes', model: 'stories260k', updated_at: '', message_count: 2 },
        { id: 9, title: 'Poems', model: 'stories260k', updated_at: '', message_count: 2 },
      ],
    }),
    'GET /perch/chats/7': () => chat,
    'POST /perch/chats/7/regenerate': () =>
      new Response(new ReadableStream<Uint8Array>({ start: () => undefined }), { headers: { 'Content-Type': 'text/event-stream' } }),
    'POST /perch/chats/7/stop': () => ({ stopped: true }),
  });
});

describe('Keyboard', () => {
  it('focuses the composer when the window opens', async () => {
    render(<App />);
    const box = await screen.findByRole('textbox', { name: 'Message' });
    await waitFor(() => expect(document.activeElement).toBe(box));
  });

  it('switches tabs with ⌘1–6 and shows the shortcut in the tab tooltip', async () => {
    render(<App />);
    await screen.findByRole('textbox', { name: 'Message' });
    const tabs = screen.getAllByRole('link');
    expect(tabs.find((a) => a.textContent === 'Memory')?.getAttribute('title')).toMatch(/Memory \((⌘|Ctrl\+)3\)/);
    act(() => {
      fireEvent.keyDown(window, { key: '3', ...mod });
    });
    expect(window.location.hash).toBe('#/memory');
    act(() => {
      fireEvent.keyDown(window, { key: 'n', ...mod });
    });
    expect(window.location.hash).toBe('#/chat');
  });

  it('opens the chat search with ⌘K and the help sheet with ?', async () => {
    render(<App />);
    await screen.findByRole('textbox', { name: 'Message' });
    act(() => {
      fireEvent.keyDown(window, { key: 'k', ...mod });
    });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Search chats' })));
    act(() => {
      fireEvent.keyDown(document.body, { key: '?' });
    });
    const sheet = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(sheet.textContent).toContain('New chat');
    fireEvent.keyDown(sheet, { key: 'Escape' });
    expect(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' })).toBeNull();
  });

  it('stops the answer with Esc', async () => {
    window.location.hash = '#/chat/7';
    render(<App />);
    await screen.findByText('Once upon a time.');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Regenerate' }));
    });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stop' }).getAttribute('title')).toBe('Stop (Esc)'));
    await act(async () => {
      fireEvent.keyDown(window, { key: 'Escape' });
    });
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/perch/chats/7/stop')).toBe(true));
  });

  it('makes the history list one Tab stop, with arrows between rows', async () => {
    window.location.hash = '#/chat/7';
    render(<App />);
    await screen.findByText('Recipes');
    const rows = [...document.querySelectorAll<HTMLButtonElement>('.history-open')];
    expect(rows.map((r) => r.tabIndex)).toEqual([0, -1, -1]);
    const actions = [...document.querySelectorAll<HTMLButtonElement>('.history-actions button')];
    expect(actions.every((b) => b.tabIndex === -1)).toBe(true);
    rows[0]!.focus();
    fireEvent.keyDown(rows[0]!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(rows[1]);
    fireEvent.keyDown(rows[1]!, { key: 'Delete' });
    expect(await screen.findByText('Delete “Recipes”? This cannot be undone.')).toBeTruthy();
  });
});
