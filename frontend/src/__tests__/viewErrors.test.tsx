import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../App';
import { humanError } from '../lib/errors';
import { en } from '../i18n/en';
import { mockFetch, perchStatus } from '../test/fetchMock';

// Issue 15 #4: the Documents, Tokens and Settings views show errors for people, the raw text
// only behind "Details".
const RAW = /dial tcp|\/tmp\/|\.upload\b|GGUF header/;
const fail = (status: number, message: string, code?: string) => () =>
  new Response(JSON.stringify({ error: { message, code } }), { status, headers: { 'Content-Type': 'application/json' } });

/** The main message of each alert (its first paragraph), never the details. */
const mainMessages = () => screen.getAllByRole('alert').map((a) => a.querySelector('p')?.textContent ?? a.textContent ?? '');

describe('errors in the Documents, Tokens and Settings views', () => {
  it('Documents: a network failure is a sentence, the raw text behind Details', async () => {
    window.location.hash = '#/documents';
    mockFetch({
      'GET /perch/status': () => perchStatus({ collections: true }),
      'GET /perch/models': () => ({ models: [] }),
      'GET /perch/collections': fail(502, 'dial tcp: lookup huggingface.co on 10.255.255.53:53: no such host'),
    });
    render(<App />);
    await waitFor(() => expect(screen.getAllByRole('alert').length).toBeGreaterThan(0));
    const main = mainMessages();
    expect(main.some((m) => RAW.test(m))).toBe(false);
    expect(main).toContain(en['err.offline']);
    expect(screen.getByText('Details')).toBeTruthy();
  });

  it('Tokens: a broken model file says what to do, not the GGUF jargon or the temporary path', async () => {
    window.location.hash = '#/tokens';
    mockFetch({
      'GET /perch/status': () => perchStatus(),
      'GET /perch/models': () => ({ models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '', default: true }] }),
      'POST /perch/tokenize': fail(500, 'open /tmp/perch/uploads/c7a2.upload: the GGUF header has no layer count'),
    });
    render(<App />);
    const box = await screen.findByRole('textbox');
    await act(async () => {
      fireEvent.change(box, { target: { value: 'hello' } });
    });
    await waitFor(() => expect(screen.getAllByRole('alert').length).toBeGreaterThan(0), { timeout: 3000 });
    const main = mainMessages();
    expect(main.some((m) => RAW.test(m))).toBe(false);
    expect(main).toContain(en['err.invalid_model_file']);
  });

  it('keeps the server’s own sentence for bad input, but never developer text', () => {
    const t = (k: string) => en[k as keyof typeof en];
    const bad = new Error('address "nope" must be host:port, such as 127.0.0.1:11435');
    Object.assign(bad, { status: 400 });
    expect(humanError(t as never, bad, 'invalid_request').message).toBe(bad.message);
    expect(humanError(t as never, new Error('tensor data needs 1171200 bytes'), 'invalid_request').message).toBe(en['err.invalid_request']);
  });
});
