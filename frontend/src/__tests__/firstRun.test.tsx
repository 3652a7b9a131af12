import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { mockFetch, perchStatus, sseResponse } from '../test/fetchMock';

const model = { name: 'hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M', size: 4_700_000_000, quantization: 'Q4_K_M', architecture: 'qwen3', parameters: 8e9, context_length: 40960, modified_at: '', default: false };
const fit = { weights_bytes: 1, kv_bytes: 1, compute_bytes: 1, overhead_bytes: 1, total_bytes: 9_100_000_000, budget_bytes: 20_000_000_000, verdict: 'fits', num_ctx: 8192, max_ctx: 40960 };
const rec = { model: { id: 'qwen3-8b', name: 'Qwen3 8B', quants: [] }, quant: { name: 'Q4_K_M', ref: model.name, size: 4_700_000_000, recommended: true, fit } };
const pull = (state: string, completed: number) => ({ id: 'p1', ref: model.name, state, completed, total: 4_700_000_000, rate_bps: 1e7, eta_s: 30, started_at: '2026-01-01T00:00:00Z', updated_at: '' });

describe('first run (issue 15 #1)', () => {
  it('downloads in Chat, shows progress in place, and becomes ready by itself from the done event', async () => {
    window.location.hash = '#/chat';
    let installed = false;
    let release: () => void = () => undefined;
    const done = new Promise<void>((r) => (release = r));
    const calls = mockFetch({
      'GET /perch/status': () => perchStatus({ catalog: true }),
      'GET /perch/models': () => ({ models: installed ? [model] : [] }),
      'GET /perch/chats': () => ({ chats: [] }),
      'GET /perch/recommended': () => rec,
      'POST /perch/pulls': () => pull('queued', 0),
      // The download's events: progress, then (once released) done.
      'GET /perch/pulls/events': () => {
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(enc.encode(`data: ${JSON.stringify({ pulls: [pull('downloading', 1_000_000_000)] })}\n\n`));
            await done;
            installed = true;
            c.enqueue(enc.encode(`data: ${JSON.stringify({ pulls: [pull('done', 4_700_000_000)] })}\n\n`));
          },
        });
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      },
    });
    render(<App />);
    expect(await screen.findByText(/^Needs about [\d.]+ GB of memory; this Mac has [\d.]+ GB for models\.$/)).toBeTruthy();
    // The download is running: progress in the card, in Chat, and a badge on Models.
    await screen.findByRole('progressbar');
    expect(window.location.hash).toBe('#/chat');
    expect(screen.getByTitle('1 downloading')).toBeTruthy();
    await act(async () => release());
    await screen.findByRole('heading', { name: 'Ready — start chatting' });
    const box = screen.getByRole('textbox', { name: 'Message' });
    await waitFor(() => expect(document.activeElement).toBe(box));
    expect(box.getAttribute('placeholder')).toBe('Message Qwen3 8B · Q4_K_M');
    expect(calls.filter((c) => c.path === '/perch/models').length).toBeGreaterThan(1);
    void sseResponse;
  });

  it('the Chat tab returns to the open chat (issue 15 #2)', async () => {
    window.location.hash = '#/chat/7';
    mockFetch({
      'GET /perch/status': () => perchStatus(),
      'GET /perch/models': () => ({ models: [model] }),
      'GET /perch/chats': () => ({ chats: [] }),
      'GET /perch/chats/7': () => ({ id: 7, title: 'A story', model: model.name, system: '', params: {}, created_at: '', updated_at: '', messages: [{ id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' }] }),
    });
    render(<App />);
    await screen.findByRole('heading', { name: 'A story' });
    fireEvent.click(screen.getByRole('link', { name: 'Memory' }));
    expect(window.location.hash).toBe('#/memory');
    const chatTab = screen.getByRole('link', { name: 'Chat' });
    expect(chatTab.getAttribute('href')).toBe('#/chat/7');
    fireEvent.click(chatTab);
    expect(window.location.hash).toBe('#/chat/7');
    expect(screen.getByRole('heading', { name: 'A story' })).toBeTruthy();
  });
});
