// A chat's routes (/perch/chats/{id}): the chat itself, its settings, and its answers, which
// stream as events. The history list, search, rename, delete and import live with the history.

import { api, stream } from './client';
import type { ChatPatch, NewChat } from './wire.gen';
import type { Chat, ChatEvent } from './types';

const base = '/perch/chats';

/** What an answer is asked for: a new question, another answer, an edited question, or more of an answer. */
export type AnswerRequest =
  | { kind: 'send'; content: string }
  | { kind: 'regenerate' }
  | { kind: 'edit'; messageId: number; content: string }
  | { kind: 'continue'; messageId: number };

/** The route and body an answer request is sent with. */
function answerRoute(chatId: number, req: AnswerRequest): { path: string; body?: unknown } {
  switch (req.kind) {
    case 'send':
      return { path: `${base}/${chatId}/messages`, body: { content: req.content } };
    case 'regenerate':
      return { path: `${base}/${chatId}/regenerate` };
    case 'edit':
      return { path: `${base}/${chatId}/messages/${req.messageId}/edit`, body: { content: req.content } };
    case 'continue':
      return { path: `${base}/${chatId}/messages/${req.messageId}/continue` };
  }
}

export const chats = {
  get: (id: number) => api<Chat>('GET', `${base}/${id}`),
  create: (chat: Partial<NewChat>) => api<Chat>('POST', base, chat),
  /** Changes the title, model, system prompt or parameters; answers the chat without its messages. */
  update: (id: number, patch: ChatPatch) => api<Chat>('PATCH', `${base}/${id}`, patch),
  /** Shows another version (‹1/2›) of a message; answers the chat as it now reads. */
  selectVersion: (id: number, messageId: number) => api<Chat>('POST', `${base}/${id}/messages/${messageId}/select`),
  /** Asks the server to end the answer being written; the stream then ends with the saved answer. */
  stop: (id: number) => api<void>('POST', `${base}/${id}/stop`),
  /** Streams an answer's events until it ends, signal aborts it, or the connection drops (ApiError, status 0). */
  answer: (id: number, req: AnswerRequest, onEvent: (ev: ChatEvent) => void, signal?: AbortSignal) => {
    const { path, body } = answerRoute(id, req);
    return stream<ChatEvent>('POST', path, body, onEvent, signal);
  },
};
