import { vi } from 'vitest';
import type { Features, Model, Settings, Status } from '../api/types';

export interface Call {
  method: string;
  path: string;
  body: unknown;
}

type Handler = (body: unknown, signal?: AbortSignal) => unknown;

/**
 * Replaces fetch with routes "METHOD /path" → handler. A handler's value is sent as JSON
 * (200); a Response is sent as it is. Unknown routes answer 404. Calls are recorded.
 */
export function mockFetch(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://127.0.0.1:11435');
      const method = init?.method ?? 'GET';
      const raw = init?.body;
      const body = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw instanceof FormData ? raw : undefined;
      calls.push({ method, path: url.pathname + url.search, body });
      const h = routes[`${method} ${url.pathname}`];
      if (!h) {
        return new Response(JSON.stringify({ error: { message: `no route ${method} ${url.pathname}` } }), { status: 404 });
      }
      const out = h(body, init?.signal ?? undefined);
      if (out instanceof Response) return out;
      return new Response(JSON.stringify(out ?? {}), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return calls;
}

/** An SSE response of these events, split mid-event as the network does. */
export function sseResponse(events: unknown[]): Response {
  const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
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

/** A /perch/status answer for stories260k with chats and the library on, plus features. */
export function perchStatus(features: Partial<Features> = {}): Status {
  return {
    version: '0.1.0',
    address: '127.0.0.1:11435',
    api_key_required: false,
    features: { chats: true, library: true, catalog: false, memory: false, fit: false, import: false, settings: false, ...features },
    default_model: 'stories260k',
    loaded: [],
    generating: false,
  };
}

/** The settings of a fresh Perch, in English. */
export const baseSettings: Settings = {
  address: '127.0.0.1:11435',
  keep_alive: '5m',
  context_length: 0,
  slots: 4,
  max_loaded: 0,
  launch_at_login: false,
  language: 'en',
  theme: 'system',
};

/** An installed model of 1 MiB (Q8_0, llama) trained for context_length tokens. */
export function installedModel(name: string, context_length = 2048): Model {
  return { name, size: 1 << 20, quantization: 'Q8_0', architecture: 'llama', parameters: 1e6, context_length, modified_at: '2026-12-01T00:00:00Z', default: false };
}
