import { act, fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Settings, SettingsView as SV } from '../api/types';
import { App } from '../App';
import { baseSettings, installedModel, mockFetch, perchStatus, type Call } from '../test/fetchMock';

const model = installedModel;

let current: SV;
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/models';
  current = {
    settings: { ...baseSettings, model_defaults: { 'qwen3:8b': { num_ctx: 8192, keep_alive: '30m' } } },
    lan: false,
    listening: '127.0.0.1:11435',
    restart_needed: [],
  };
  calls = mockFetch({
    'GET /perch/status': () => ({ ...perchStatus({ settings: true }), default_model: '' }),
    'GET /perch/settings': () => current,
    'GET /perch/models': () => ({ models: [model('qwen3:8b', 40960), model('llama3.1:8b', 131072), model('stories', 2048)], default_model: '' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'PUT /perch/settings': (body) => {
      const b = body as Partial<Settings>;
      const md = { ...current.settings.model_defaults, ...b.model_defaults };
      for (const [k, v] of Object.entries(md)) if (!v.num_ctx && !v.keep_alive) delete md[k];
      current = { ...current, settings: { ...current.settings, model_defaults: md } };
      return current;
    },
  });
});

describe('Per-model context length and keep-alive', () => {
  it("shows each model's own values and saves a change in settings.model_defaults", async () => {
    render(<App />);
    const ctxs = await screen.findAllByLabelText('Context length');
    const keeps = screen.getAllByLabelText('Keep loaded for');
    expect(ctxs).toHaveLength(3);
    expect(keeps).toHaveLength(3);
    const ctx = ctxs.map((e) => e as HTMLSelectElement) as [HTMLSelectElement, HTMLSelectElement, HTMLSelectElement];
    const keep = keeps.map((e) => e as HTMLSelectElement) as [HTMLSelectElement, HTMLSelectElement, HTMLSelectElement];
    expect(ctx[0].value).toBe('8192');
    expect(keep[0].value).toBe('30m');
    expect(ctx[1].value).toBe('0');
    expect(keep[1].value).toBe('');
    // No context above the model's training context is offered.
    expect([...ctx[2].options].map((o) => o.value)).toEqual(['0', '2048']);
    await act(async () => {
      fireEvent.change(ctx[1], { target: { value: '16384' } });
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ model_defaults: { 'llama3.1:8b': { num_ctx: 16384 } } });
    await act(async () => {
      fireEvent.change(keep[1], { target: { value: '-1' } });
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ model_defaults: { 'llama3.1:8b': { num_ctx: 16384, keep_alive: '-1' } } });
    // Back to the defaults: the entry sets nothing and is removed.
    await act(async () => {
      fireEvent.change(ctx[0], { target: { value: '0' } });
    });
    await act(async () => {
      fireEvent.change(keep[0], { target: { value: '' } });
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ model_defaults: { 'qwen3:8b': {} } });
    expect(current.settings.model_defaults).toEqual({ 'llama3.1:8b': { num_ctx: 16384, keep_alive: '-1' } });
  });
});

describe('Model settings disclosure', () => {
  it("folds each model's settings under one line that says what is set", async () => {
    render(<App />);
    await screen.findAllByLabelText('Context length');
    const summaries = [...document.querySelectorAll('.model-settings summary')].map((e) => e.textContent);
    expect(summaries).toEqual(['Model settings · 8,192 ctx · kept 30m', 'Model settings', 'Model settings']);
    // Closed until asked: three selects on every row crowd the popover.
    expect([...document.querySelectorAll('details.model-settings')].every((d) => !(d as HTMLDetailsElement).open)).toBe(true);
  });
});
