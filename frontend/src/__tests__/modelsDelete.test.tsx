import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import type { Model } from '../api/types';
import { mockFetch, perchStatus, type Call } from '../test/fetchMock';

// Deleting an installed model asks first, with the shared DeleteConfirm.
const model: Model = {
  name: 'stories260k',
  size: 1 << 20,
  quantization: 'F32',
  architecture: 'llama',
  parameters: 260e3,
  context_length: 2048,
  modified_at: '',
  default: false,
};
let installed: Model[];
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/models';
  installed = [model];
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: installed }),
    'GET /perch/pulls/events': () => new Response(new ReadableStream(), { headers: { 'Content-Type': 'text/event-stream' } }),
    'POST /perch/models/delete': () => {
      installed = [];
      return new Response(null, { status: 204 });
    },
  });
});

describe('Installed models', () => {
  it('asks before deleting, and Cancel keeps the model', async () => {
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete: stories260k' }));
    const ask = screen.getByRole('group', { name: 'Delete stories260k? Its file is removed from disk.' });
    expect(document.activeElement?.textContent).toBe('Delete');
    fireEvent.click(ask.querySelector('.text-button')!);
    expect(screen.queryByRole('group', { name: /Delete stories260k/ })).toBeNull();
    expect(calls.some((c) => c.path === '/perch/models/delete')).toBe(false);
  });

  it('deletes once confirmed', async () => {
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete: stories260k' }));
    const ask = screen.getByRole('group', { name: /Delete stories260k/ });
    await act(async () => fireEvent.click(ask.querySelector('.danger')!));
    expect(calls.find((c) => c.path === '/perch/models/delete')).toMatchObject({ method: 'POST', body: { name: 'stories260k' } });
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Delete: stories260k' })).toBeNull());
  });
});
