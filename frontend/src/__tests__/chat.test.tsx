import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Chat } from '../api/types';
import { App } from '../App';
import { mockFetch, type Call, perchStatus } from '../test/fetchMock';

function sse(events: unknown[]): Response {
  const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
  // Split mid-event, as the network does.
  const mid = Math.floor(body.length / 2);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      const enc = new TextEncoder();
      c.enqueue(enc.encode(body.slice(0, mid)));
      c.enqueue(enc.encode(body.slice(mid)));
      c.close();
    },
  });
  return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
}

const chat: Chat = { id: 7, title: '', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '' };
const user = { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' };
const answer = {
  id: 2,
  chat_id: 7,
  role: 'assistant',
  content: 'Once upon a **time**',
  model: 'stories260k',
  finish_reason: 'stop',
  stats: { prompt_tokens: 5, cached_tokens: 0, completion_tokens: 6, ttft_ms: 3, tokens_per_s: 250, total_ms: 30 },
  created_at: '',
};
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/chat';
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({
      models: [{ name: 'stories260k', size: 1185376, quantization: 'F32', architecture: 'llama', parameters: 292800, context_length: 2048, modified_at: '', default: true }],
      default_model: 'stories260k',
    }),
    'GET /perch/chats': () => ({ chats: [] }),
    'POST /perch/chats': () => chat,
    'POST /perch/chats/7/messages': () =>
      sse([
        { type: 'start', user, model: 'stories260k' },
        { type: 'delta', text: 'Once upon' },
        { type: 'delta', text: ' a **time**' },
        { type: 'done', message: answer, context: { model: 'stories260k', used_tokens: 11, context_tokens: 2048, kv_bytes_per_token: 640, kv_bytes: 7040, loaded: true } },
      ]),
  });
});

describe('Chat', () => {
  it('creates a chat on the first message and streams the answer', async () => {
    render(<App />);
    const box = await screen.findByRole('textbox', { name: 'Message' });
    await waitFor(() => expect(box.getAttribute('placeholder')).toBe('Message stories260k · F32'));
    fireEvent.change(box, { target: { value: 'Tell me a story' } });
    await act(async () => {
      fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    });
    await screen.findByText('time');
    expect(screen.getAllByText('Tell me a story').length).toBeGreaterThan(0);
    // Until the server names the chat, the header shows its first message (issue 15 #3).
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Tell me a story');
    expect(screen.getByText(/250 tok\/s · 6 tokens/)).toBeTruthy();
    expect(screen.getByText(/11 of 2,048 tokens · KV 6.9 KB/)).toBeTruthy();
    expect(window.location.hash).toBe('#/chat/7');
    expect(calls.find((c) => c.method === 'POST' && c.path === '/perch/chats')?.body).toMatchObject({ model: 'stories260k' });
    expect(calls.find((c) => c.path === '/perch/chats/7/messages')?.body).toEqual({ content: 'Tell me a story' });
    expect((box as HTMLTextAreaElement).value).toBe('');
  });
});
