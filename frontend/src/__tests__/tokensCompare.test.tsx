import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { mockFetch, perchStatus } from '../test/fetchMock';

const model = (name: string) => ({ name, size: 1, quantization: 'Q4_K_M', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' });
const counts: Record<string, number> = { 'llama-en': 40, 'qwen-ko': 25 };
const kv: Record<string, number> = { 'llama-en': 131072, 'qwen-ko': 65536 };

beforeEach(() => {
  window.location.hash = '#/tokens';
  mockFetch({
    'GET /perch/status': () => ({ ...perchStatus({ fit: true }), default_model: 'qwen-ko' }),
    'GET /perch/models': () => ({ models: [model('qwen-ko'), model('llama-en')] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'POST /perch/tokenize': (body) => {
      const m = (body as { model: string }).model;
      const n = counts[m] ?? 1;
      return { model: m, tokens: Array.from({ length: n }, (_, i) => ({ id: i, piece: 'x' })), count: n, characters: 20, bytes: 50, tokens_per_char: n / 20 };
    },
    'POST /perch/fit': (body) => {
      const m = (body as { model: string }).model;
      return { weights_bytes: 0, kv_bytes: (kv[m] ?? 0) * 8192, compute_bytes: 0, overhead_bytes: 0, total_bytes: 0, budget_bytes: 0, verdict: 'fits', num_ctx: 8192, max_ctx: 8192 };
    },
  });
});

describe('Tokens comparison', () => {
  it('shows two models side by side with the memory cost of the difference', async () => {
    render(<App />);
    const text = await screen.findByRole('textbox', { name: 'Text' });
    fireEvent.change(text, { target: { value: '다람쥐 헌 쳇바퀴에 타고파' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: /Add a model/ }));
    });
    const table = await screen.findByRole('table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    await waitFor(() => expect(within(table).getByRole('rowheader', { name: 'llama-en' }).closest('tr')?.textContent).toContain('+15 (+60%)'));
    const row = within(table).getByRole('rowheader', { name: 'llama-en' }).closest('tr')!;
    // 40 tokens × 128 KB = 5 MB of KV; the 15 extra tokens cost 1.9 MB.
    expect(row.textContent).toMatch(/5(\.0)? MB \(\+1\.9 MB; 128 KB a token\)/);
  });
});
