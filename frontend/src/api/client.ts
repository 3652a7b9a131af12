// A small client for the /perch API: JSON requests with clear errors, and SSE streams read
// through fetch (EventSource cannot POST a body or send an Authorization header).

import type { ApiErrorBody } from './types';

declare global {
  interface Window {
    /** Where the API is, when the page is not served by it (the desktop shell may set it). */
    PERCH_API_BASE?: string;
    /** The API key, when the desktop shell knows it (so its window never asks). */
    PERCH_API_KEY?: string;
  }
}

const KEY_STORAGE = 'perch.apiKey';

/** An error from the server (with its status) or from the network (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
const unreachableListeners = new Set<Listener>();

/** Called whenever a request gets no answer at all (the server is down or restarting). */
export function onUnreachable(fn: Listener): () => void {
  unreachableListeners.add(fn);
  return () => unreachableListeners.delete(fn);
}

/** Called whenever the server says the API key is missing or wrong. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function getApiKey(): string {
  if (typeof window !== 'undefined' && window.PERCH_API_KEY) return window.PERCH_API_KEY;
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

export function setApiKey(key: string): void {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Private mode without storage: the key lasts for this page only.
  }
}

function base(): string {
  return (typeof window !== 'undefined' && window.PERCH_API_BASE) || '';
}

function headers(contentType: string | undefined): Headers {
  const h = new Headers();
  if (contentType) h.set('Content-Type', contentType);
  const key = getApiKey();
  if (key) h.set('Authorization', `Bearer ${key}`);
  return h;
}

/** An error's message for the user: an ApiError's (or any Error's) text without its "Error:" prefix. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let code: string | undefined;
  try {
    const body = (await res.json()) as { error?: ApiErrorBody | string };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error?.message) {
      message = body.error.message;
      code = body.error.code ?? undefined;
    }
  } catch {
    // Not JSON (a proxy's page, say): the status line will do.
  }
  if (res.status === 401) unauthorizedListeners.forEach((fn) => fn());
  return new ApiError(res.status, message, code);
}

/** Every request goes through here: the API key, and failures as ApiError (status 0: no answer). */
async function send(method: string, path: string, body: BodyInit | undefined, contentType: string | undefined, signal?: AbortSignal): Promise<Response> {
  const init: RequestInit = { method, headers: headers(contentType) };
  if (body !== undefined) init.body = body;
  if (signal) init.signal = signal;
  let res: Response;
  try {
    res = await fetch(base() + path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    unreachableListeners.forEach((fn) => fn());
    throw new ApiError(0, 'Perch is not reachable. Is it running?', 'unreachable');
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

function sendJSON(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  if (body === undefined) return send(method, path, undefined, undefined, signal);
  return send(method, path, JSON.stringify(body), 'application/json', signal);
}

async function decode<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Sends a request and decodes the JSON answer (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return decode<T>(await sendJSON(method, path, body, signal));
}

/** Sends raw bytes (an upload chunk). */
export async function putBytes<T>(path: string, data: Blob, signal?: AbortSignal): Promise<T> {
  return decode<T>(await send('PUT', path, data, 'application/octet-stream', signal));
}

/** Posts a multipart form (a file upload); the browser sets the boundary. */
export async function postForm<T>(path: string, form: FormData, signal?: AbortSignal): Promise<T> {
  return decode<T>(await send('POST', path, form, undefined, signal));
}

/** Splits an SSE byte stream into the JSON of its data lines. */
export class SSEParser {
  private buf = '';
  push(chunk: string): unknown[] {
    this.buf += chunk.replace(/\r\n/g, '\n');
    const out: unknown[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data || data === '[DONE]') continue;
      try {
        out.push(JSON.parse(data));
      } catch {
        // A malformed event is skipped rather than ending the stream.
      }
    }
    return out;
  }
}

/**
 * Opens an SSE stream and calls onEvent for each event until it ends, the signal aborts
 * it, or it fails. It resolves when the stream is over; an abort resolves quietly.
 */
export async function stream<T>(
  method: string,
  path: string,
  body: unknown,
  onEvent: (ev: T) => void,
  signal?: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await sendJSON(method, path, body, signal);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return;
    throw e;
  }
  if (!res.body) throw new ApiError(0, 'The server sent no stream.');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) onEvent(ev as T);
    }
  } catch (e) {
    if (signal?.aborted) return;
    if (e instanceof DOMException && e.name === 'AbortError') return;
    unreachableListeners.forEach((fn) => fn());
    throw new ApiError(0, 'The connection to Perch was lost.', 'connection_lost');
  } finally {
    reader.releaseLock();
  }
}
