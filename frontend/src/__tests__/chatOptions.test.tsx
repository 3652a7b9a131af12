import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Chat } from '../api/types';
import { App } from '../App';
import { mockFetch, type Call, perchStatus } from '../test/fetchMock';

const model = (name: string) => ({ name, size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '' });
let chat: Chat;
let calls: Call[];

beforeEach(() => {
  window.location.hash = '#/chat/7';
  chat = { id: 7, title: 'Stories', model: 'stories260k', system: 'Be brief.', params: {}, created_at: '', updated_at: '', messages: [] };
  calls = mockFetch({
    'GET /perch/status': () => perchStatus(),
    'GET /perch/models': () => ({ models: [model('stories260k'), model('tinyllama')] }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/chats/7': () => chat,
    'PATCH /perch/chats/7': (body) => {
      chat = { ...chat, ...(body as Partial<Chat>) };
      return chat;
    },
  });
});

describe('Chat options', () => {
  it('keeps a model picked in the header while the options are open', async () => {
    render(<App />);
    const header = (await screen.findByRole('combobox', { name: 'Model' })) as HTMLSelectElement;
    await within(header).findByRole('option', { name: /^tinyllama · / });
    await waitFor(() => expect(header.value).toBe('stories260k'));
    fireEvent.click(screen.getByRole('button', { name: 'Chat options' }));
    const options = screen.getByRole('form', { name: 'Chat options' });
    await act(async () => {
      fireEvent.change(header, { target: { value: 'tinyllama' } });
    });
    await waitFor(() => expect(header.value).toBe('tinyllama'));
    // The sheet follows the header, and saving its other fields does not undo the change.
    expect((within(options).getByLabelText('Model') as HTMLSelectElement).value).toBe('tinyllama');
    fireEvent.change(within(options).getByLabelText('System prompt'), { target: { value: 'Be kind.' } });
    await act(async () => {
      fireEvent.submit(options);
    });
    const patches = calls.filter((c) => c.method === 'PATCH').map((c) => c.body);
    expect(patches.at(-1)).toMatchObject({ model: 'tinyllama', system: 'Be kind.' });
    expect(header.value).toBe('tinyllama');
  });

  it("saves the chat's context length, refuses one the server would not take, and clears it", async () => {
    render(<App />);
    await screen.findByRole('combobox', { name: 'Model' });
    fireEvent.click(screen.getByRole('button', { name: 'Chat options' }));
    const options = screen.getByRole('form', { name: 'Chat options' });
    const field = within(options).getByLabelText('Context length') as HTMLInputElement;
    expect(field.value).toBe('');
    fireEvent.change(field, { target: { value: '100' } });
    await act(async () => {
      fireEvent.submit(options);
    });
    expect(within(options).getByText(/Context length must be a whole number from 256/)).toBeTruthy();
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    fireEvent.change(field, { target: { value: '8192' } });
    await act(async () => {
      fireEvent.submit(options);
    });
    expect(calls.filter((c) => c.method === 'PATCH').at(-1)?.body).toMatchObject({ params: { num_ctx: 8192 } });
    expect(chat.params.num_ctx).toBe(8192);
    fireEvent.change(field, { target: { value: '' } });
    await act(async () => {
      fireEvent.submit(options);
    });
    const last = calls.filter((c) => c.method === 'PATCH').at(-1)?.body as Partial<Chat>;
    expect(last.params).toEqual({});
  });
});
