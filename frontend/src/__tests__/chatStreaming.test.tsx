import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement, type ComponentProps } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Chat, Message } from '../api/types';
import { App } from '../App';
import { mockFetch, perchStatus } from '../test/fetchMock';

// Each message draws a CopyButton (not memoised) whenever the message itself renders,
// so counting them by text counts each message's renders.
const renders = new Map<string, number>();
vi.mock('../components/CopyButton', async (original) => {
  const real = await original<typeof import('../components/CopyButton')>();
  return {
    CopyButton: (props: ComponentProps<typeof real.CopyButton>) => {
      renders.set(props.text, (renders.get(props.text) ?? 0) + 1);
      return createElement(real.CopyButton, props);
    },
  };
});

const question: Message = { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' };
const answer: Message = { id: 2, chat_id: 7, role: 'assistant', content: 'Once upon a time.', model: 'stories260k', created_at: '' };
const chat: Chat = { id: 7, title: 'Stories', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '', messages: [question, answer] };
let events: ReadableStreamDefaultController<Uint8Array>;

function send(ev: unknown) {
  events.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(ev)}\n\n`));
}

beforeEach(() => {
  renders.clear();
  window.location.hash = '#/chat/7';
  mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' }] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/chats/7': () => chat,
    'POST /perch/chats/7/messages': () =>
      new Response(new ReadableStream<Uint8Array>({ start: (c) => void (events = c) }), { headers: { 'Content-Type': 'text/event-stream' } }),
  });
});

describe('Chat while an answer streams', () => {
  it('does not redraw the earlier messages on every frame', async () => {
    render(<App />);
    await screen.findByText('Once upon a time.');
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'Another one' } });
    await act(async () => {
      fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    });
    await waitFor(() => expect(events).toBeTruthy());
    await act(async () => send({ type: 'start', user: { ...question, id: 3, content: 'Another one' }, model: 'stories260k' }));
    await act(async () => send({ type: 'delta', text: 'Word0' }));
    await screen.findByText('Word0');
    const before = { question: renders.get(question.content), answer: renders.get(answer.content) };
    let text = 'Word0';
    for (let i = 1; i <= 5; i++) {
      text += ` Word${i}`;
      await act(async () => send({ type: 'delta', text: ` Word${i}` }));
      await screen.findByText(text);
    }
    expect({ question: renders.get(question.content), answer: renders.get(answer.content) }).toEqual(before);
    await act(async () => {
      send({ type: 'done', message: { ...answer, id: 4, content: text } });
      events.close();
    });
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Message' })).toBeTruthy());
  });
});
