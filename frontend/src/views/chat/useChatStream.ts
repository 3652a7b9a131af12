// The answer being written in a chat: its stream, Stop (and Esc), the draft drawn once a
// frame, the error it ended with, and answers a lost connection cut off. ChatView renders it.

import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { ApiError } from '../../api/client';
import { chats, type AnswerRequest } from '../../api/chats';
import type { Chat, ChatEvent, ContextMeter, Message, SourceSet } from '../../api/types';
import { useI18n } from '../../i18n';

/** An answer being written: which chat it belongs to and the text so far. */
export interface Generation {
  chatId: number;
  draft: Message;
  /** The user message being answered, once the server has saved it. */
  userId?: number;
  /** The answer being continued (hidden while its longer draft is shown). */
  continues?: number;
}

/**
 * The chat's path once m joins it: the messages up to m's parent, then m. A message already
 * on the path (a regenerated question) keeps what came before it; without a parent, m starts
 * the path (a first question, or an edited first question), unless it is an answer from a
 * server that does not send parents, which follows the earlier messages.
 */
export function follow(messages: Message[], m: Message): Message[] {
  const self = messages.findIndex((x) => x.id === m.id);
  if (self >= 0) return [...messages.slice(0, self), m];
  if (m.parent_id) {
    const at = messages.findIndex((x) => x.id === m.parent_id);
    return [...messages.slice(0, at + 1), m];
  }
  return m.role === 'user' ? [m] : [...messages.filter((x) => x.id < m.id), m];
}

function emptyDraft(chatId: number, model: string): Message {
  return { id: -1, chat_id: chatId, role: 'assistant', content: '', reasoning: '', model, created_at: '' };
}

/** What the stream changes outside itself: the chat shown and its sources, owned by the view. */
export interface ChatStreamTargets {
  setChat: Dispatch<SetStateAction<Chat | null>>;
  /** The sources found for a question, by the id of the user message. */
  setSources: Dispatch<SetStateAction<Record<number, SourceSet>>>;
  /** Loads the server's copy of a chat (the truth after versions were made or a stream was cut). */
  reload: (chatId: number) => void;
  /** Text for screen readers ("Writing…", "Answer done"). */
  announce: (text: string) => void;
  /** An answer starts (the view scrolls to follow it). */
  onStart?: () => void;
  /** An answer ended, however it ended (the history and the loaded models changed). */
  onEnd?: () => void;
}

export interface ChatStream {
  /** The answer being written, in whichever chat. */
  gen: Generation | null;
  /** The error of the last answer or chat action on screen ('' for none). */
  error: unknown;
  setError: Dispatch<SetStateAction<unknown>>;
  /** Answers cut off by a lost connection (by chat), shown as interrupted until reloaded. */
  interrupted: Record<number, Message>;
  clearInterrupted: (chatId: number) => void;
  /** The chat on screen; set at once when a chat is made here, before the route follows. */
  current: { current: number | undefined };
  /** Whether an answer is being written (in chatId, when given). */
  isRunning: (chatId?: number) => boolean;
  /** Asks for an answer in chatId written by model answering; base is the answer being continued. */
  start: (chatId: number, req: AnswerRequest, answering: string, base?: Message) => Promise<void>;
  /** Stops the answer being written: the server saves it; a stream that does not end is dropped. */
  stop: () => Promise<void>;
}

/** Streams the answers of the chat chatId (the chat on screen). */
export function useChatStream(chatId: number | undefined, targets: ChatStreamTargets): ChatStream {
  const { t } = useI18n();
  const [gen, setGen] = useState<Generation | null>(null);
  const [error, setError] = useState<unknown>('');
  const [interrupted, setInterrupted] = useState<Record<number, Message>>({});
  const current = useRef<number | undefined>(chatId);
  const running = useRef<{ chatId: number; abort: AbortController } | null>(null);
  const asking = useRef<number | null>(null);
  const titled = useRef(new Set<number>());
  const draft = useRef({ content: '', reasoning: '' });
  const frame = useRef<number | null>(null);
  const to = useRef(targets);
  to.current = targets;

  useEffect(() => {
    current.current = chatId;
    setError('');
  }, [chatId]);

  const flush = useCallback(() => {
    frame.current = null;
    const { content, reasoning } = draft.current;
    setGen((g) => (g ? { ...g, draft: { ...g.draft, content, reasoning } } : g));
  }, []);

  const start = useCallback(
    async (id: number, req: AnswerRequest, answering: string, base?: Message) => {
      const abort = new AbortController();
      running.current = { chatId: id, abort };
      asking.current = null;
      draft.current = { content: base?.content ?? '', reasoning: base?.reasoning ?? '' };
      to.current.onStart?.();
      setError('');
      to.current.announce(t('chat.writing'));
      setGen({ chatId: id, draft: { ...emptyDraft(id, answering), ...draft.current }, continues: base?.id });
      let ended = false;
      const here = () => current.current === id;
      const join = (m: Message, done?: { context?: ContextMeter }) =>
        to.current.setChat((c) =>
          c && c.id === id
            ? { ...c, messages: follow(c.messages ?? [], m), ...(done ? { context: done.context ?? c.context, generating: false } : {}) }
            : c,
        );
      const onEvent = (ev: ChatEvent) => {
        switch (ev.type) {
          case 'start':
            asking.current = ev.user.id;
            if (base) {
              setGen((g) => (g ? { ...g, userId: ev.user.id } : g));
              break;
            }
            if (here()) join(ev.user);
            setGen((g) => (g ? { ...g, userId: ev.user.id, draft: emptyDraft(id, ev.model) } : g));
            break;
          case 'trimmed':
            setGen((g) => (g ? { ...g, draft: { ...g.draft, dropped: ev.dropped } } : g));
            break;
          case 'sources': {
            const uid = asking.current;
            const set: SourceSet = { sources: ev.sources ?? [], min_score: ev.min_score, best_score: ev.best_score };
            if (uid !== null && here()) to.current.setSources((s) => ({ ...s, [uid]: set }));
            break;
          }
          case 'reasoning':
          case 'delta':
            if (ev.type === 'delta') draft.current.content += ev.text;
            else draft.current.reasoning += ev.text;
            // Many tokens a frame are drawn once: re-rendering Markdown per token would
            // make long answers stutter.
            frame.current ??= requestAnimationFrame(flush);
            break;
          case 'done':
            ended = true;
            if (here()) join(ev.message, ev);
            // Regenerate and edit made a new version: the server's copy carries the
            // versions (‹1/2›) of the turns they touched.
            if (here() && (req.kind === 'regenerate' || req.kind === 'edit')) to.current.reload(id);
            break;
          case 'error':
            ended = true;
            if (here()) {
              setError(new ApiError(500, ev.error.message, ev.error.code ?? undefined));
              if (ev.message) join(ev.message);
            }
            break;
        }
      };
      try {
        await chats.answer(id, req, onEvent, abort.signal);
      } catch (e) {
        // The connection was lost mid-answer: keep what was written, marked as interrupted
        // (never "complete"); the reconnect reloads the server's copy.
        if (e instanceof ApiError && e.status === 0) {
          const { content, reasoning } = draft.current;
          setInterrupted((m) => ({ ...m, [id]: { ...emptyDraft(id, answering), content, reasoning, id: -2 } }));
        }
        if (here()) setError(e);
      } finally {
        if (frame.current !== null) cancelAnimationFrame(frame.current);
        frame.current = null;
        running.current = null;
        setGen(null);
        to.current.announce(ended ? t('chat.answerDone') : t('chat.interrupted'));
        to.current.onEnd?.();
        // A stream that ended without its last event (aborted, connection lost) leaves the
        // server's copy as the truth; the first answer also gives the chat its title.
        if (here() && (!ended || !titled.current.has(id))) {
          titled.current.add(id);
          to.current.reload(id);
        }
      }
    },
    [flush, t],
  );

  const stop = useCallback(async () => {
    const r = running.current;
    if (!r) return;
    try {
      await chats.stop(r.chatId);
      // The server ends the stream with the saved, stopped answer; if it does not within
      // a few seconds, dropping the connection stops it too.
      window.setTimeout(() => {
        if (running.current === r) r.abort.abort();
      }, 3000);
    } catch {
      r.abort.abort();
    }
  }, []);

  // Esc stops the answer being written in the chat on screen (after closing whatever else is open).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && running.current && current.current === running.current.chatId) {
        e.preventDefault();
        void stop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [stop]);

  const clearInterrupted = useCallback((id: number) => {
    setInterrupted((m) => {
      const { [id]: _, ...rest } = m;
      return rest;
    });
  }, []);

  const isRunning = useCallback((id?: number) => (id === undefined ? running.current !== null : running.current?.chatId === id), []);

  return { gen, error, setError, interrupted, clearInterrupted, current, isRunning, start, stop };
}
