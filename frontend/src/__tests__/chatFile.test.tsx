import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Chat } from '../api/types';
import { App } from '../App';
import { parseChatFile, toJSON, toMarkdown } from '../lib/chatFile';
import { mockFetch, perchStatus, type Call } from '../test/fetchMock';

const chat: Chat = {
  id: 7,
  title: '이야기 Stories',
  model: 'stories260k',
  system: 'Be brief.',
  params: { temperature: 0.5 },
  created_at: '',
  updated_at: '',
  messages: [
    { id: 1, chat_id: 7, role: 'user', content: 'Tell me a story', created_at: '' },
    { id: 2, chat_id: 7, role: 'assistant', content: 'Once upon a time.', model: 'stories260k', parent_id: 1, created_at: '' },
  ],
};
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/chat';
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' }] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/chats/7': () => chat,
    'POST /perch/chats/import': () => ({ ...chat, id: 7 }),
  });
});

function openPicker() {
  fireEvent.click(screen.getByRole('button', { name: 'Import a chat (.json)' }));
}

function pick(file: File) {
  const input = document.querySelector<HTMLInputElement>('.history input[type=file]')!;
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  fireEvent.change(input);
}

describe('Chat export and import', () => {
  it('exports JSON that imports again, and readable Markdown', () => {
    const parsed = parseChatFile(toJSON(chat));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.file.messages.map((m) => m.content)).toEqual(['Tell me a story', 'Once upon a time.']);
    const md = toMarkdown(chat, { you: 'You', system: 'System prompt' });
    expect(md).toContain('# 이야기 Stories');
    expect(md).toContain('## You\n\nTell me a story');
    expect(md).toContain('## stories260k\n\nOnce upon a time.');
  });

  it('offers Markdown and JSON from the chat header', async () => {
    window.location.hash = '#/chat/7';
    const create = vi.fn(() => 'blob:x');
    URL.createObjectURL = create;
    URL.revokeObjectURL = () => undefined;
    render(<App />);
    await screen.findByText('Once upon a time.');
    fireEvent.click(screen.getByRole('button', { name: 'Export chat' }));
    fireEvent.click(screen.getByRole('button', { name: 'Markdown (.md)' }));
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('refuses a file that is not a Perch chat, changing nothing', async () => {
    render(<App />);
    await screen.findByRole('textbox', { name: 'Message' });
    openPicker();
    await act(async () => {
      pick(new File(['{"conversations":[]}'], 'chatgpt.json', { type: 'application/json' }));
    });
    expect(await screen.findByText('“chatgpt.json” is not a chat exported from Perch. Nothing was imported.')).toBeTruthy();
    await act(async () => {
      pick(new File(['not json at all'], 'notes.txt'));
    });
    expect(await screen.findByText(/“notes.txt” is not a JSON file/)).toBeTruthy();
    expect(calls.some((c) => c.path === '/perch/chats/import')).toBe(false);
  });

  it('imports a Perch chat and opens it', async () => {
    render(<App />);
    await screen.findByRole('textbox', { name: 'Message' });
    openPicker();
    await act(async () => {
      pick(new File([toJSON(chat)], 'stories.json', { type: 'application/json' }));
    });
    await waitFor(() => expect(window.location.hash).toBe('#/chat/7'));
    expect(calls.find((c) => c.path === '/perch/chats/import')?.body).toMatchObject({ format: 'perch.chat', version: 1, title: '이야기 Stories' });
  });
});
