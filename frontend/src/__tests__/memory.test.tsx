import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { roomFor } from '../lib/headroom';
import { mockFetch, perchStatus, sseResponse, type Call } from '../test/fetchMock';

const GB = 1024 ** 3;
const system = {
  total_bytes: 32 * GB,
  used_bytes: 12 * GB,
  available_bytes: 20 * GB,
  swap_used_bytes: 0,
  swap_total_bytes: 0,
  pressure: 'normal',
  gpu_budget_bytes: 18 * GB,
};
const big = { name: 'qwen3-8b', weights_bytes: 5 * GB, kv_bytes: 1 * GB, kv_used_bytes: 0, compute_bytes: 0.5 * GB, other_bytes: 0, rss_bytes: 0, generating: false, expires_at: new Date(Date.now() + 272_000).toISOString(), kv_type: 'q8_0', flash_attn: 'on' };
const small = { name: 'stories260k', weights_bytes: 1 * 1024 ** 2, kv_bytes: 256_000, kv_used_bytes: 0, compute_bytes: 3 * 1024 ** 2, other_bytes: 0, rss_bytes: 0, generating: false, kv_type: 'f16', flash_attn: 'auto', flash_attn_used: 'on' };
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/memory';
  calls = mockFetch({
    'GET /perch/status': () => perchStatus({ memory: true }),
    'GET /perch/models': () => ({ models: [] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/memory/events': () =>
      sseResponse([
        { system, models: [big, small], sampled_at: '' },
        { system: { ...system, used_bytes: 13 * GB }, models: [big, small], sampled_at: '' },
      ]),
    'POST /perch/models/unload': () => ({ name: 'qwen3-8b', status: 'unloaded' }),
  });
});

describe('Memory', () => {
  it('sizes headroom in model terms', () => {
    expect(roomFor(12 * GB)?.billions).toBe(14);
    expect(roomFor(16 * GB)?.billions).toBe(24);
    expect(roomFor(7 * GB)?.billions).toBe(8);
    expect(roomFor(0.1 * GB)).toBeUndefined();
  });

  it('answers what can still run, with unload, countdown, proportional bars and a history', async () => {
    render(<App />);
    // 18 GB GPU limit − 6.5 GB loaded = 11.5 GB free: a 14B Q4_K_M at 8K fits, a 24B does not.
    expect(await screen.findByText(/Room for about a 14B Q4_K_M model at 8K context/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See models that fit' })).toBeTruthy();
    expect(screen.getByText(/GPU limit: how much of the memory macOS lets the GPU use/)).toBeTruthy();
    expect(screen.getByText(/unloads in 4:3\d/)).toBeTruthy();
    // Each model shows the cache it was loaded with, not the settings' defaults for later loads.
    const rows = [...document.querySelectorAll('.mem-table tbody tr')];
    expect(rows[0]?.textContent).toContain('KV cache q8_0 · Flash attention: On');
    // "Automatic" with what llama.cpp chose.
    expect(rows[1]?.textContent).toContain('KV cache f16 · Flash attention: Automatic (on)');
    const bars = [...document.querySelectorAll<HTMLElement>('.mem-table .bar.mini')];
    expect(bars[0]?.style.width).toBe('100%');
    expect(parseFloat(bars[1]?.style.width ?? '100')).toBeLessThan(5);
    await waitFor(() => expect(screen.getByRole('img', { name: /Last two minutes: 12 GB to 13 GB used/ })).toBeTruthy());
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Unload: qwen3-8b' }));
    });
    expect(calls.find((c) => c.path === '/perch/models/unload')?.body).toEqual({ name: 'qwen3-8b' });
  });
});
