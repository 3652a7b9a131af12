import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Chat, Message } from '../api/types';
import { App } from '../App';
import { mockFetch, perchStatus, sseResponse, type Call } from '../test/fetchMock';

const q: Message = { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' };
const cut: Message = { id: 2, chat_id: 7, role: 'assistant', content: 'Once upon', model: 'stories260k', finish_reason: 'length', parent_id: 1, created_at: '' };
let chat: Chat;
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/chat/7';
  chat = { id: 7, title: 'Stories', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '', messages: [q, cut] };
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' }] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/chats/7': () => chat,
    'POST /perch/chats/7/messages/2/continue': () => {
      const done = { ...cut, content: 'Once upon a time.', finish_reason: 'stop' };
      chat = { ...chat, messages: [q, done] };
      return sseResponse([
        { type: 'start', user: { id: 1, chat_id: 7, role: 'user', content: '', created_at: '' }, model: 'stories260k' },
        { type: 'delta', text: ' a time.' },
        { type: 'done', message: done },
      ]);
    },
    'POST /perch/chats/7/regenerate': () => {
      const again: Message = { ...cut, id: 3, content: 'A new tale.', finish_reason: 'stop', versions: [2, 3] };
      chat = { ...chat, messages: [q, again] };
      return sseResponse([
        { type: 'start', user: q, model: 'stories260k' },
        { type: 'trimmed', dropped: 2 },
        { type: 'delta', text: 'A new tale.' },
        { type: 'done', message: { ...again, versions: undefined, dropped: 2 } },
      ]);
    },
    'POST /perch/chats/7/messages/2/select': () => {
      chat = { ...chat, messages: [q, { ...cut, versions: [2, 3] }] };
      return chat;
    },
  });
});

describe('Chat answers', () => {
  it('continues an answer cut by the token limit into the same message', async () => {
    render(<App />);
    await screen.findByText('Cut off at the token limit');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    });
    await screen.findByText('Once upon a time.');
    expect(screen.queryByText('Cut off at the token limit')).toBeNull();
    expect(calls.some((c) => c.method === 'POST' && c.path === '/perch/chats/7/messages/2/continue')).toBe(true);
    // One answer, not two.
    expect(document.querySelectorAll('.message.assistant')).toHaveLength(1);
  });

  it('keeps the earlier answer when regenerating and switches between versions', async () => {
    render(<App />);
    await screen.findByText('Once upon');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Regenerate' }));
    });
    await screen.findByText('A new tale.');
    await screen.findByRole('group', { name: 'Version 2 of 2' });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Previous version' }));
    });
    await screen.findByText('Once upon');
    await waitFor(() => expect(screen.getByRole('group', { name: 'Version 1 of 2' })).toBeTruthy());
  });
});
