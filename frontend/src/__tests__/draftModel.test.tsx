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
  current = { settings: { ...baseSettings, draft_models: { 'qwen3:8b': 'qwen3:0.6b' } }, lan: false, listening: '127.0.0.1:11435', restart_needed: [] };
  calls = mockFetch({
    'GET /perch/status': () => ({ ...perchStatus({ settings: true }), default_model: '' }),
    'GET /perch/settings': () => current,
    'GET /perch/models': () => ({ models: [model('qwen3:8b'), model('qwen3:0.6b'), model('llama3.1:8b')], default_model: '' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'PUT /perch/settings': (body) => {
      const b = body as Partial<Settings>;
      const drafts = { ...current.settings.draft_models, ...b.draft_models };
      for (const k of Object.keys(drafts)) if (!drafts[k]) delete drafts[k];
      current = { ...current, settings: { ...current.settings, draft_models: drafts } };
      return current;
    },
  });
});

describe('Draft model', () => {
  it("shows each model's draft model and saves a change in settings.draft_models", async () => {
    render(<App />);
    const selects = await screen.findAllByLabelText('Draft model');
    expect(selects).toHaveLength(3);
    const qwen = selects[0] as HTMLSelectElement;
    const llama = selects[2] as HTMLSelectElement;
    expect(qwen.value).toBe('qwen3:0.6b');
    expect(llama.value).toBe('');
    // A model is not offered as its own draft.
    expect([...qwen.options].map((o) => o.value)).toEqual(['', 'qwen3:0.6b', 'llama3.1:8b']);
    await act(async () => {
      fireEvent.change(llama, { target: { value: 'qwen3:0.6b' } });
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ draft_models: { 'llama3.1:8b': 'qwen3:0.6b' } });
    await act(async () => {
      fireEvent.change(qwen, { target: { value: '' } });
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ draft_models: { 'qwen3:8b': '' } });
    expect(current.settings.draft_models).toEqual({ 'llama3.1:8b': 'qwen3:0.6b' });
  });
});
