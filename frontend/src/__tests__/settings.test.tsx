import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Settings, SettingsView as SV } from '../api/types';
import { App } from '../App';
import { baseSettings, mockFetch, perchStatus, type Call } from '../test/fetchMock';

let current: SV;
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/settings';
  current = { settings: { ...baseSettings }, lan: false, listening: '127.0.0.1:11435', restart_needed: [] };
  calls = mockFetch({
    'GET /perch/status': () => ({ ...perchStatus({ settings: true }), default_model: '' }),
    'GET /perch/settings': () => current,
    'GET /perch/models': () => ({ models: [], default_model: '' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'PUT /perch/settings': (body) => {
      const b = body as Partial<Settings> & { lan?: boolean };
      const next = { ...current.settings, ...b };
      if (!next.address.startsWith('127.') && !next.api_key) next.api_key = 'perch-abc';
      current = { ...current, settings: next, lan: !next.address.startsWith('127.'), restart_needed: next.address !== baseSettings.address ? ['address'] : [] };
      return current;
    },
  });
});

describe('Settings', () => {
  it('applies language and theme at once, and saves the rest of the form', async () => {
    render(<App />);
    const theme = await screen.findByLabelText('Theme');
    await act(async () => {
      fireEvent.change(theme, { target: { value: 'dark' } });
    });
    // No Save: the theme is saved and applied as it is picked.
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ theme: 'dark' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    fireEvent.change(screen.getByLabelText('Allowed web origins'), { target: { value: 'https://a.example\n\n https://b.example ' } });
    fireEvent.change(screen.getByLabelText('Parallel requests per model'), { target: { value: '2' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    const put = calls.filter((c) => c.method === 'PUT').at(-1);
    expect(put?.body).toMatchObject({ theme: 'dark', allowed_origins: ['https://a.example', 'https://b.example'], address: '127.0.0.1:11435', slots: 2 });
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'ko' } });
    });
    // The UI is now Korean.
    expect(await screen.findByRole('button', { name: '저장' })).toBeTruthy();
    expect(screen.getByRole('link', { name: /설정/ })).toBeTruthy();
  });

  it('shows the OpenAI and Ollama URLs of the address the server really listens on', async () => {
    current = { ...current, listening: '127.0.0.1:54321' };
    render(<App />);
    expect(await screen.findByText('http://127.0.0.1:54321/v1')).toBeTruthy();
    expect(screen.getByText('http://127.0.0.1:54321')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy: OpenAI base URL' })).toBeTruthy();
    expect(document.querySelector('pre.curl')?.textContent).toContain('curl http://127.0.0.1:54321/v1/chat/completions');
    // Groups a user scans for.
    for (const g of ['General', 'Models', 'Server', 'Privacy', 'Advanced']) expect(screen.getByRole('group', { name: g })).toBeTruthy();
  });

  it('asks before making a new API key', async () => {
    current = { ...current, settings: { ...current.settings, api_key: 'perch-old' } };
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'New key' }));
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
    expect(screen.getByText(/stop working until they get the new one/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'New key' }));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Make a new key' }));
    });
    expect(calls.find((c) => c.method === 'PUT')?.body).toMatchObject({ new_api_key: true });
  });

  it('turns on LAN access, shows the new key and the restart notice', async () => {
    render(<App />);
    const lan = await screen.findByLabelText(/Allow access from other devices/);
    fireEvent.click(lan);
    expect((screen.getByLabelText('Address') as HTMLInputElement).value).toBe('0.0.0.0');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(await screen.findByText('perch-abc')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
    expect(screen.getByText('Restart Perch to apply: address.')).toBeTruthy();
  });

  it('refuses a bad port before saving', async () => {
    render(<App />);
    const port = await screen.findByLabelText('Port');
    fireEvent.change(port, { target: { value: '99999' } });
    expect(screen.getByText('The port must be a number from 1 to 65535.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
    expect(port.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('Settings: KV cache and flash attention', () => {
  it('saves the KV cache type and flash attention, in English and Korean', async () => {
    render(<App />);
    const kv = await screen.findByLabelText('KV cache type');
    fireEvent.change(kv, { target: { value: 'q8_0' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toMatchObject({ kv_type: 'q8_0', flash_attn: 'auto' });
    expect(current.settings.kv_type).toBe('q8_0');
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'ko' } });
    });
    const kvKo = (await screen.findByLabelText('KV 캐시 형식')) as HTMLSelectElement;
    expect(kvKo.value).toBe('q8_0');
    expect(screen.getByRole('option', { name: 'q8_0 (메모리 절반)' })).toBeTruthy();
    expect(screen.getByLabelText('플래시 어텐션')).toBeTruthy();
  });

  it('refuses a quantized cache with flash attention off before asking the server', async () => {
    render(<App />);
    fireEvent.change(await screen.findByLabelText('KV cache type'), { target: { value: 'q4_0' } });
    fireEvent.change(screen.getByLabelText('Flash attention'), { target: { value: 'off' } });
    expect(document.getElementById('flash-attn-error')?.textContent).toContain('needs flash attention');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Flash attention'), { target: { value: 'on' } });
    expect(screen.queryByText(/needs flash attention/)).toBeNull();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toMatchObject({ kv_type: 'q4_0', flash_attn: 'on' });
  });
});

describe('Settings: a context for each request', () => {
  it('saves per_slot_kv, which applies after a restart', async () => {
    render(<App />);
    const box = (await screen.findByLabelText('Give each request the whole context')) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toMatchObject({ per_slot_kv: true, slots: 4 });
    expect(current.settings.per_slot_kv).toBe(true);
    expect((screen.getByLabelText('Give each request the whole context') as HTMLInputElement).checked).toBe(true);
  });
});

describe('Settings: storage and the Hugging Face token', () => {
  function routes(extra: Record<string, (b: unknown) => unknown>) {
    let downloads = '/Users/me/Library/Application Support/perch/models';
    calls = mockFetch({
      'GET /perch/status': () => ({ ...perchStatus({ settings: true }), default_model: '' }),
      'GET /perch/settings': () => current,
      'GET /perch/models': () => ({ models: [], default_model: '' }),
      'GET /perch/chats': () => ({ chats: [] }),
      'PUT /perch/settings': (body) => {
        const b = body as Partial<Settings>;
        if (b.download_dir?.includes('/.')) {
          return new Response(JSON.stringify({ error: { message: `download_dir: ${b.download_dir} is inside the hidden folder /Users/me/.cache; pick a folder that is not hidden` } }), { status: 400 });
        }
        if (b.download_dir !== undefined) downloads = b.download_dir || '/Users/me/Library/Application Support/perch/models';
        current = { ...current, settings: { ...current.settings, ...b } };
        return current;
      },
      'GET /perch/settings/storage': () => ({
        dirs: [
          { path: downloads, kind: 'downloads', used_bytes: 5 * 2 ** 30, files: 2, free_bytes: 100 * 2 ** 30, total_bytes: 500 * 2 ** 30 },
          { path: '/Volumes/Old/Models', kind: 'earlier', used_bytes: 0, files: 0, free_bytes: 0, total_bytes: 0, error: 'stat /Volumes/Old/Models: no such file or directory' },
          { path: '/Users/me/gguf', kind: 'folder', used_bytes: 2 ** 30, files: 1, free_bytes: 100 * 2 ** 30, total_bytes: 500 * 2 ** 30 },
        ],
      }),
      ...extra,
    });
  }

  it('shows each models folder with its use and free space, and changes the downloads folder', async () => {
    routes({ 'GET /perch/settings/hf-token': () => ({ set: false }) });
    render(<App />);
    expect(await screen.findByText('/Users/me/gguf')).toBeTruthy();
    expect(screen.getByText('5 GB in 2 files · 100 GB free of 500 GB')).toBeTruthy();
    expect(screen.getByText('1 GB in 1 file · 100 GB free of 500 GB')).toBeTruthy();
    expect(screen.getByText(/Cannot read it now: stat \/Volumes\/Old\/Models/)).toBeTruthy();
    expect(screen.getByText('Earlier downloads')).toBeTruthy();
    const input = screen.getByLabelText('Download new models to');
    fireEvent.change(input, { target: { value: '/Users/me/.cache/models' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Use this folder' }));
    });
    expect(await screen.findByText(/is inside the hidden folder/)).toBeTruthy();
    expect(current.settings.download_dir).toBeUndefined();
    fireEvent.change(input, { target: { value: '/Volumes/External/Models' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Use this folder' }));
    });
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ download_dir: '/Volumes/External/Models' });
    await waitFor(() => expect(screen.getByText('/Volumes/External/Models')).toBeTruthy());
    expect(screen.queryByText(/is inside the hidden folder/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Back to the default folder' })).toBeTruthy();
  });

  it('sets, replaces and removes the Hugging Face token, showing only its last characters', async () => {
    let saved = '';
    const view = () => (saved ? { set: true, last4: saved.slice(-4), source: 'settings' } : { set: false });
    routes({
      'GET /perch/settings/hf-token': () => view(),
      'PUT /perch/settings/hf-token': (b) => {
        saved = (b as { token: string }).token.trim();
        return view();
      },
      'DELETE /perch/settings/hf-token': () => {
        saved = '';
        return view();
      },
    });
    render(<App />);
    expect(await screen.findByText('Not set')).toBeTruthy();
    const input = screen.getByLabelText('Hugging Face token') as HTMLInputElement;
    expect(input.type).toBe('password');
    fireEvent.change(input, { target: { value: 'hf_secretAbCd' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save token' }));
    });
    expect(await screen.findByText('Set, ending in AbCd')).toBeTruthy();
    expect(input.value).toBe('');
    expect(document.body.textContent).not.toContain('hf_secretAbCd');
    fireEvent.change(input, { target: { value: 'hf_otherWxYz' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(await screen.findByText('Set, ending in WxYz')).toBeTruthy();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Remove token' }));
    });
    expect(await screen.findByText('Not set')).toBeTruthy();
    expect(calls.filter((c) => c.path.startsWith('/perch/settings/hf-token') && c.method !== 'GET').map((c) => c.method)).toEqual(['PUT', 'PUT', 'DELETE']);
    // The settings form was never saved along the way.
    expect(calls.some((c) => c.method === 'PUT' && c.path === '/perch/settings')).toBe(false);
  });

  it('reads in Korean', async () => {
    current = { ...current, settings: { ...current.settings, language: 'ko' } };
    routes({ 'GET /perch/settings/hf-token': () => ({ set: true, last4: 'ment', source: 'environment' }) });
    render(<App />);
    expect(await screen.findByText('HF_TOKEN 사용 중 (끝자리 ment)')).toBeTruthy();
    expect(screen.getByText('파일 2개, 5 GB · 디스크 500 GB 중 100 GB 남음')).toBeTruthy();
    expect(screen.getByText('이전 다운로드')).toBeTruthy();
    expect(screen.getByLabelText('새 모델을 내려받을 폴더')).toBeTruthy();
    expect(screen.queryByRole('button', { name: '토큰 삭제' })).toBeNull();
  });
});
