import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Settings, SettingsView as SV } from '../api/types';
import { App } from '../App';
import { baseSettings, mockFetch, perchStatus, type Call } from '../test/fetchMock';

function routes(picker: boolean, pick: () => unknown, lang: Settings['language'] = 'en', put?: (b: unknown) => unknown): { calls: Call[]; view: () => SV } {
  let current: SV = { settings: { ...baseSettings, language: lang }, lan: false, listening: '127.0.0.1:11435', restart_needed: [] };
  const calls = mockFetch({
    'GET /perch/status': () => perchStatus({ settings: true, folder_picker: picker }),
    'GET /perch/settings': () => current,
    'GET /perch/models': () => ({ models: [], default_model: '' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/settings/hf-token': () => ({ set: false }),
    'GET /perch/settings/storage': () => ({ dirs: [] }),
    'PUT /perch/settings': (body) => {
      if (put) return put(body);
      current = { ...current, settings: { ...current.settings, ...(body as Partial<Settings>) } };
      return current;
    },
    'POST /perch/desktop/pick-folder': pick,
  });
  return { calls, view: () => current };
}

afterEach(() => {
  delete window.perchDesktop;
});

describe('Settings › downloads folder: Choose folder…', () => {
  it('picks the folder in the desktop window’s dialog and saves it', async () => {
    window.location.hash = '#/settings';
    window.perchDesktop = { detach: vi.fn(), attach: vi.fn(), hide: vi.fn() };
    const { calls, view } = routes(true, () => ({ path: '/Volumes/External/Models', cancelled: false }));
    render(<App />);
    await screen.findByLabelText('Download new models to');
    await act(async () => {
      fireEvent.click(await screen.findByRole('button', { name: 'Choose folder…' }));
    });
    expect(calls.find((c) => c.path === '/perch/desktop/pick-folder')?.body).toEqual({ purpose: 'downloads', title: 'Choose the folder for downloaded models' });
    await waitFor(() => expect(view().settings.download_dir).toBe('/Volumes/External/Models'));
    expect((screen.getByLabelText('Download new models to') as HTMLInputElement).value).toBe('/Volumes/External/Models');
  });

  it('saves nothing when the dialog is cancelled', async () => {
    window.location.hash = '#/settings';
    window.perchDesktop = { detach: vi.fn(), attach: vi.fn(), hide: vi.fn() };
    const { calls } = routes(true, () => ({ path: '', cancelled: true }));
    render(<App />);
    await screen.findByLabelText('Download new models to');
    await act(async () => {
      fireEvent.click(await screen.findByRole('button', { name: 'Choose folder…' }));
    });
    await waitFor(() => expect(calls.filter((c) => c.path === '/perch/desktop/pick-folder')).toHaveLength(1));
    expect(calls.some((c) => c.method === 'PUT' && c.path === '/perch/settings')).toBe(false);
  });

  it('is absent in a browser, where the typed path stays', async () => {
    window.location.hash = '#/settings';
    routes(true, () => ({ path: '/x', cancelled: false }));
    render(<App />);
    expect(await screen.findByLabelText('Download new models to')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Choose folder…' })).toBeNull();
  });
});

describe('Settings › downloads folder in Korean', () => {
  it("shows the server's refusal in Korean by its code, with the server's sentence under Details", async () => {
    window.location.hash = '#/settings';
    const raw = 'download_dir: "Models" is not an absolute path; give the full path of a folder, such as /Users/me/Models';
    routes(false, () => ({}), 'ko', () => new Response(JSON.stringify({ error: { message: raw, type: 'invalid_request_error', code: 'dir_not_absolute', param: 'download_dir' } }), { status: 400 }));
    render(<App />);
    const input = await screen.findByLabelText('새 모델을 내려받을 폴더');
    fireEvent.change(input, { target: { value: 'Models' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: '이 폴더 사용' }));
    });
    const alert = await waitFor(() => {
      const el = document.querySelector('.storage [role="alert"]');
      expect(el).toBeTruthy();
      return el as HTMLElement;
    });
    expect(alert.querySelector('p')?.textContent).toBe('/로 시작하는 폴더의 전체 경로를 입력하세요. 예: /Users/me/Models');
    expect(alert.querySelector('details')?.textContent).toContain(raw);
  });
});
