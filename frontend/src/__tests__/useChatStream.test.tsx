import { act, renderHook, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Chat, Message, SourceSet } from '../api/types';
import { mockFetch, type Call } from '../test/fetchMock';
import { useChatStream } from '../views/chat/useChatStream';

// The hook on its own: a chat held in state as ChatView holds it, and an answer stream the
// test writes event by event.
const question: Message = { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' };
const answer: Message = { id: 2, chat_id: 7, role: 'assistant', content: 'Once upon a time.', model: 'stories260k', created_at: '', parent_id: 1 };
const chat: Chat = { id: 7, title: '', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '', messages: [], generating: true };

let events: ReadableStreamDefaultController<Uint8Array> | undefined;
let calls: Call[];
let stopAnswer: () => unknown;

function send(ev: unknown) {
  events!.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(ev)}\n\n`));
}

function streaming(signal?: AbortSignal): Response {
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (events = c) });
  signal?.addEventListener('abort', () => events!.error(new DOMException('aborted', 'AbortError')));
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

function setup() {
  const reload = vi.fn();
  const onEnd = vi.fn();
  const said: string[] = [];
  const view = renderHook(() => {
    const [shown, setChat] = useState<Chat | null>(chat);
    const [sources, setSources] = useState<Record<number, SourceSet>>({});
    const stream = useChatStream(7, { setChat, setSources, reload, announce: (s) => said.push(s), onEnd });
    return { shown, sources, stream };
  });
  return { view, reload, onEnd, said };
}

/** Starts an answer in chat 7 (by default: asking "Tell me a story"); the promise ends with the run. */
function start(view: ReturnType<typeof setup>['view'], action: Parameters<ReturnType<typeof useChatStream>['start']>[1] = { kind: 'send', content: 'Tell me a story' }): Promise<void> {
  let done!: Promise<void>;
  act(() => {
    done = view.result.current.stream.start(7, action, 'stories260k');
  });
  return done;
}

beforeEach(() => {
  events = undefined;
  stopAnswer = () => ({});
  calls = mockFetch({
    'POST /perch/chats/7/messages': (_b, signal) => streaming(signal),
    'POST /perch/chats/7/regenerate': (_b, signal) => streaming(signal),
    'POST /perch/chats/7/stop': () => stopAnswer(),
  });
});

describe('useChatStream', () => {
  it('follows an answer from the question to the saved message', async () => {
    const { view, reload, onEnd, said } = setup();
    const done = start(view);
    expect(view.result.current.stream.isRunning(7)).toBe(true);
    expect(view.result.current.stream.gen?.chatId).toBe(7);
    expect(said).toEqual(['Writing…']);
    await waitFor(() => expect(events).toBeTruthy());
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/perch/chats/7/messages', body: { content: 'Tell me a story' } });

    await act(async () => send({ type: 'start', user: question, model: 'stories260k' }));
    expect(view.result.current.shown?.messages).toEqual([question]);
    expect(view.result.current.stream.gen?.userId).toBe(1);

    await act(async () => send({ type: 'sources', collection: 'Notes', sources: [], min_score: 0.3, best_score: 0.1 }));
    expect(view.result.current.sources[1]).toEqual({ sources: [], min_score: 0.3, best_score: 0.1 });

    // Deltas are drawn once a frame.
    await act(async () => {
      send({ type: 'delta', text: 'Once upon' });
      send({ type: 'delta', text: ' a time.' });
    });
    await waitFor(() => expect(view.result.current.stream.gen?.draft.content).toBe('Once upon a time.'));

    const context = { model: 'stories260k', used_tokens: 9, context_tokens: 2048, kv_bytes_per_token: 1, kv_bytes: 9, loaded: true };
    await act(async () => {
      send({ type: 'done', message: answer, context });
      events!.close();
      await done;
    });
    expect(view.result.current.shown).toMatchObject({ messages: [question, answer], context, generating: false });
    expect(view.result.current.stream.gen).toBeNull();
    expect(view.result.current.stream.isRunning()).toBe(false);
    expect(view.result.current.stream.error).toBe('');
    expect(said.at(-1)).toBe('Answer complete');
    expect(onEnd).toHaveBeenCalledTimes(1);
    // The first answer names the chat: the server's copy is loaded once.
    expect(reload.mock.calls).toEqual([[7]]);
  });

  it('reloads after a regenerated answer, for its versions', async () => {
    const { view, reload } = setup();
    const done = start(view, { kind: 'regenerate' });
    await waitFor(() => expect(events).toBeTruthy());
    await act(async () => {
      send({ type: 'start', user: question, model: 'stories260k' });
      send({ type: 'done', message: { ...answer, id: 3 } });
      events!.close();
      await done;
    });
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/perch/chats/7/regenerate', body: undefined });
    // Once for the versions, once for the title a first answer gives.
    expect(reload.mock.calls).toEqual([[7], [7]]);
  });

  it('shows an error event as the error and keeps the message saved with it', async () => {
    const { view } = setup();
    const done = start(view);
    await waitFor(() => expect(events).toBeTruthy());
    await act(async () => {
      send({ type: 'start', user: question, model: 'stories260k' });
      send({ type: 'error', error: { message: 'the model ran out of memory', code: 'out_of_memory' }, message: answer });
      events!.close();
      await done;
    });
    const err = view.result.current.stream.error;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('the model ran out of memory');
    expect((err as ApiError).code).toBe('out_of_memory');
    expect(view.result.current.shown?.messages).toEqual([question, answer]);
  });

  it('keeps what was written when the connection drops, marked interrupted', async () => {
    const { view, said } = setup();
    const done = start(view);
    await waitFor(() => expect(events).toBeTruthy());
    await act(async () => {
      send({ type: 'start', user: question, model: 'stories260k' });
      send({ type: 'delta', text: 'Once' });
    });
    await act(async () => {
      events!.error(new TypeError('network'));
      await done;
    });
    const s = view.result.current.stream;
    expect(s.error).toBeInstanceOf(ApiError);
    expect((s.error as ApiError).status).toBe(0);
    expect(s.interrupted[7]).toMatchObject({ id: -2, content: 'Once', role: 'assistant' });
    expect(said.at(-1)).toBe('Interrupted: the connection to Perch was lost');
    act(() => s.clearInterrupted(7));
    expect(view.result.current.stream.interrupted[7]).toBeUndefined();
  });

  it('stops on Esc, and drops the stream at once when the server cannot be asked', async () => {
    stopAnswer = () => new Response(JSON.stringify({ error: { message: 'down' } }), { status: 500 });
    const { view, reload } = setup();
    const done = start(view);
    await waitFor(() => expect(events).toBeTruthy());
    await act(async () => send({ type: 'start', user: question, model: 'stories260k' }));
    await act(async () => {
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
      await done;
    });
    expect(calls.some((c) => c.method === 'POST' && c.path === '/perch/chats/7/stop')).toBe(true);
    expect(view.result.current.stream.gen).toBeNull();
    // Aborted is not an error; the server's copy is the truth.
    expect(view.result.current.stream.error).toBe('');
    expect(reload).toHaveBeenCalledWith(7);
  });
});
