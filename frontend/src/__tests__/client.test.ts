// @vitest-environment node
// The client against a real HTTP server: what each kind of request sends, and how failures read.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorText, postForm, putBytes } from '../api/client';

interface Seen {
  method: string;
  url: string;
  type: string | undefined;
  auth: string | undefined;
  body: string;
}
let server: Server;
let seen: Seen[] = [];

async function read(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += String(chunk);
  return s;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', type: req.headers['content-type'], auth: req.headers.authorization, body });
      if (req.url === '/missing') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'no such model', code: 'not_found' } }));
      } else if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  // The shared test setup clears localStorage after each test; node has none.
  vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined, clear: () => undefined });
  vi.stubGlobal('window', { PERCH_API_BASE: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, PERCH_API_KEY: 'k1' });
});

afterAll(() => {
  vi.unstubAllGlobals();
  server.close();
});

describe('api client', () => {
  it('sends JSON, bytes and forms with the key and the right content type', async () => {
    seen = [];
    expect(await api('POST', '/json', { a: 1 })).toEqual({ ok: true });
    expect(await api('DELETE', '/empty')).toBeUndefined();
    expect(await putBytes('/bytes', new Blob(['raw'], { type: 'text/plain' }))).toEqual({ ok: true });
    const form = new FormData();
    form.append('file', new Blob(['doc']), 'a.md');
    expect(await postForm('/form', form)).toEqual({ ok: true });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.auth}`)).toEqual(['POST /json Bearer k1', 'DELETE /empty Bearer k1', 'PUT /bytes Bearer k1', 'POST /form Bearer k1']);
    expect(seen[0]).toMatchObject({ type: 'application/json', body: '{"a":1}' });
    expect(seen[1]?.type).toBeUndefined();
    expect(seen[2]).toMatchObject({ type: 'application/octet-stream', body: 'raw' });
    expect(seen[3]?.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[3]?.body).toContain('filename="a.md"');
  });

  it('reads the server error and reports an unreachable server', async () => {
    for (const call of [() => api('GET', '/missing'), () => putBytes('/missing', new Blob(['x'])), () => postForm('/missing', new FormData())]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 404, message: 'no such model', code: 'not_found' });
    }
    // The shared test setup clears localStorage after each test; node has none.
  vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined, clear: () => undefined });
  vi.stubGlobal('window', { PERCH_API_BASE: 'http://127.0.0.1:1' });
    const err = await api('GET', '/x').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, message: 'Perch is not reachable. Is it running?' });
  });

  it('gives an error message without its "Error:" prefix', () => {
    expect(errorText(new ApiError(500, 'model failed to load'))).toBe('model failed to load');
    expect(errorText(new SyntaxError('Unexpected token <'))).toBe('Unexpected token <');
    expect(errorText('plain')).toBe('plain');
  });
});
