import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, stream } from '../api/client';
import { chatDocs, collections as collectionsApi } from '../api/collections';
import type { Chat, ChatEvent, Collection, Message, Source, SourceSet } from '../api/types';
import { Composer } from '../components/Composer';
import { ContextMeter } from '../components/ContextMeter';
import { ErrorMessage } from '../components/ErrorMessage';
import { PullLine } from '../components/PullLine';
import { Icon } from '../components/Icon';
import { MessageItem } from '../components/MessageItem';
import { ModelSelect } from '../components/ModelSelect';
import { RemoteNotice } from '../components/RemoteModels';
import { PassageViewer, type PassageRef } from '../components/PassageViewer';
import { Recommended } from '../components/Recommended';
import { useI18n } from '../i18n';
import { combo, shortcutEvents, useShortcutEvent } from '../lib/shortcuts';
import { displayName } from '../lib/modelName';
import { activePulls, useApp } from '../state';
import { ChatHistory } from './chat/ChatHistory';
import { ChatOptions, type ChatSetup } from './chat/ChatOptions';
import { CollectionBar } from './chat/CollectionBar';
import { ExportMenu } from './chat/ExportMenu';

/** An answer being written: which chat it belongs to and the text so far. */
interface Generation {
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
function follow(messages: Message[], m: Message): Message[] {
  const self = messages.findIndex((x) => x.id === m.id);
  if (self >= 0) return [...messages.slice(0, self), m];
  if (m.parent_id) {
    const at = messages.findIndex((x) => x.id === m.parent_id);
    return [...messages.slice(0, at + 1), m];
  }
  return m.role === 'user' ? [m] : [...messages.filter((x) => x.id < m.id), m];
}

const noMessages: Message[] = [];

function emptyDraft(chatId: number, model: string): Message {
  return { id: -1, chat_id: chatId, role: 'assistant', content: '', reasoning: '', model, created_at: '' };
}

interface Props {
  chatId: number | undefined;
  /** A new chat should answer from this collection (Documents' "Ask" button). */
  askCollection?: number;
  /** A new chat with this model (the catalog's "Open chat"). */
  askModel?: string;
}

export function ChatView({ chatId, askCollection, askModel }: Props) {
  const { t } = useI18n();
  const { models, modelsReady, status, settings, navigate, refreshModels, reconnects, pulls, offline } = useApp();
  const [chat, setChat] = useState<Chat | null>(null);
  const [loadError, setLoadError] = useState<unknown>('');
  const [input, setInput] = useState('');
  const [gen, setGen] = useState<Generation | null>(null);
  const [error, setError] = useState<unknown>('');
  // The first model just arrived (its download finished while this view showed the first-run
  // card): say so and focus the composer.
  const [ready, setReady] = useState('');
  const [focusToken, setFocusToken] = useState(0);
  const hadNoModels = useRef(false);
  // Answers cut off by a lost connection (by chat), shown as interrupted until reloaded.
  const [interrupted, setInterrupted] = useState<Record<number, Message>>({});
  const [announce, setAnnounce] = useState('');
  const [historyOpen, setHistoryOpen] = useState(false);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [searchTick, setSearchTick] = useState(0);
  const [newSetup, setNewSetup] = useState<ChatSetup>({ model: '', system: '', params: {}, collection: null });
  // Documents: the collection the chat cites, the collections to pick from, the sources of
  // each answer (by the id of the user message it answers), and a passage being read.
  const [attached, setAttached] = useState<Collection | null>(null);
  const [collectionList, setCollectionList] = useState<Collection[]>([]);
  const [sources, setSources] = useState<Record<number, SourceSet>>({});
  const [viewer, setViewer] = useState<PassageRef | null>(null);

  const created = useRef<number | null>(null);
  const titled = useRef(new Set<number>());
  const current = useRef<number | undefined>(chatId);
  const running = useRef<{ chatId: number; abort: AbortController } | null>(null);
  const asking = useRef<number | null>(null);
  // The chat whose collection and sources are loaded (or were set here when it was made).
  const docsFor = useRef<number | null>(null);
  const draft = useRef({ content: '', reasoning: '' });
  const frame = useRef<number | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  const docsOn = !!status?.features.collections;
  const chatModels = models.filter((m) => !m.embedding);
  // The default model when it is installed, else the first chat model (a default that was
  // deleted, or none yet when the first download finishes).
  const installed = (n: string | undefined) => (n && chatModels.some((m) => m.name === n) ? n : '');
  const defaultModel = installed(settings?.settings.default_model) || installed(status?.default_model) || chatModels.find((m) => !m.remote)?.name || ''; // never a remote model by itself
  const model = chat ? chat.model || defaultModel : newSetup.model || defaultModel;

  const loadChat = useCallback(async (id: number) => {
    try {
      const c = await api<Chat>('GET', `/perch/chats/${id}`);
      if (current.current === id) {
        setChat(c);
        setLoadError('');
      }
    } catch (e) {
      if (current.current === id) setLoadError(e);
    }
  }, []);

  // The collection a chat cites and its answers' saved sources. Sources that arrived live
  // meanwhile win over an older saved copy.
  const loadDocs = useCallback(async (id: number) => {
    const [coll, src] = await Promise.all([chatDocs.collection(id).catch(() => null), chatDocs.sources(id).catch(() => ({}))]);
    if (current.current !== id) return;
    setAttached(coll);
    setSources((live) => ({ ...src, ...live }));
  }, []);

  useEffect(() => {
    current.current = chatId;
    setError('');
    setLoadError('');
    setOptionsOpen(false);
    if (created.current === chatId) {
      created.current = null; // made here a moment ago; the state already holds it
      return;
    }
    docsFor.current = null;
    setAttached(null);
    setSources({});
    setChat(null);
    if (chatId) void loadChat(chatId);
  }, [chatId, loadChat]);

  useEffect(() => {
    if (!docsOn || !chatId || docsFor.current === chatId) return;
    docsFor.current = chatId;
    void loadDocs(chatId);
  }, [docsOn, chatId, loadDocs]);

  useEffect(() => {
    if (askCollection) setNewSetup({ model: '', system: '', params: {}, collection: askCollection });
  }, [askCollection]);

  useEffect(() => {
    if (askModel) setNewSetup({ model: askModel, system: '', params: {}, collection: null });
  }, [askModel]);

  // The first chat model arrived (a download finished while the first-run card showed).
  const chatModelCount = chatModels.length;
  const firstModel = chatModels[0] ? displayName(chatModels[0]) : '';
  useEffect(() => {
    if (!modelsReady) return;
    if (chatModelCount === 0) {
      hadNoModels.current = true;
      return;
    }
    if (!hadNoModels.current) return;
    hadNoModels.current = false;
    setReady(firstModel);
    setFocusToken((n) => n + 1);
    setAnnounce(t('chat.ready'));
  }, [modelsReady, chatModelCount, firstModel, t]);

  // Back after the server was unreachable: the server's copy of the chat is the truth again
  // (an interrupted answer may have been saved, or not).
  useEffect(() => {
    if (!reconnects) return;
    setError((e: unknown) => (e instanceof ApiError && e.status === 0 ? '' : e));
    const id = current.current;
    if (id && !running.current) void loadChat(id);
  }, [reconnects, loadChat]);

  // The collections to pick from, fresh each time the options open (or a new chat names one).
  const wanted = !chatId && newSetup.collection !== null && !collectionList.some((c) => c.id === newSetup.collection);
  useEffect(() => {
    if (!docsOn || !(optionsOpen || wanted)) return;
    let live = true;
    collectionsApi
      .list()
      .then((l) => live && setCollectionList(l))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [docsOn, optionsOpen, wanted]);

  // An answer started before a reload (or in another window) is followed until it is saved.
  useEffect(() => {
    if (!chat?.generating || running.current?.chatId === chat.id) return;
    const timer = window.setTimeout(() => {
      void loadChat(chat.id);
      if (docsOn) void loadDocs(chat.id);
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [chat, loadChat, docsOn, loadDocs]);

  // Keep the newest text in view while the user has not scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chat?.messages, gen]);

  const flush = useCallback(() => {
    frame.current = null;
    const { content, reasoning } = draft.current;
    setGen((g) => (g ? { ...g, draft: { ...g.draft, content, reasoning } } : g));
  }, []);

  const run = useCallback(
    async (id: number, path: string, body: unknown, answering: string, base?: Message) => {
      const abort = new AbortController();
      running.current = { chatId: id, abort };
      asking.current = null;
      draft.current = { content: base?.content ?? '', reasoning: base?.reasoning ?? '' };
      stick.current = true;
      setError('');
      setAnnounce(t('chat.writing'));
      const first = { ...emptyDraft(id, answering), ...draft.current };
      setGen({ chatId: id, draft: first, continues: base?.id });
      let ended = false;
      const here = () => current.current === id;
      try {
        await stream<ChatEvent>(
          'POST',
          path,
          body,
          (ev) => {
            switch (ev.type) {
              case 'start':
                asking.current = ev.user.id;
                if (base) {
                  setGen((g) => (g ? { ...g, userId: ev.user.id } : g));
                  break;
                }
                if (here()) setChat((c) => (c && c.id === id ? { ...c, messages: follow(c.messages ?? [], ev.user) } : c));
                setGen((g) => (g ? { ...g, userId: ev.user.id, draft: emptyDraft(id, ev.model) } : g));
                break;
              case 'trimmed':
                setGen((g) => (g ? { ...g, draft: { ...g.draft, dropped: ev.dropped } } : g));
                break;
              case 'sources': {
                const uid = asking.current;
                const set: SourceSet = { sources: ev.sources ?? [], min_score: ev.min_score, best_score: ev.best_score };
                if (uid !== null && here()) setSources((s) => ({ ...s, [uid]: set }));
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
                if (here())
                  setChat((c) =>
                    c && c.id === id
                      ? { ...c, messages: follow(c.messages ?? [], ev.message), context: ev.context ?? c.context, generating: false }
                      : c,
                  );
                // Regenerate and edit made a new version: the server's copy carries the
                // versions (‹1/2›) of the turns they touched.
                if (here() && /\/(regenerate|edit)$/.test(path)) void loadChat(id);
                break;
              case 'error':
                ended = true;
                if (here()) {
                  setError(new ApiError(500, ev.error.message, ev.error.code ?? undefined));
                  const saved = ev.message;
                  if (saved) setChat((c) => (c && c.id === id ? { ...c, messages: follow(c.messages ?? [], saved) } : c));
                }
                break;
            }
          },
          abort.signal,
        );
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
        setAnnounce(ended ? t('chat.answerDone') : t('chat.interrupted'));
        setHistoryVersion((v) => v + 1);
        void refreshModels();
        // A stream that ended without its last event (aborted, connection lost) leaves the
        // server's copy as the truth; the first answer also gives the chat its title.
        if (here() && (!ended || !titled.current.has(id))) {
          titled.current.add(id);
          void loadChat(id);
        }
      }
    },
    [flush, loadChat, refreshModels, t],
  );

  const send = async () => {
    const text = input;
    if (!text.trim() || running.current) return;
    setError('');
    let id = chat?.id;
    try {
      if (!id) {
        const c = await api<Chat>('POST', '/perch/chats', { model, system: newSetup.system, params: newSetup.params });
        c.messages = [];
        // Attached before the first question, so it is answered from the documents too.
        const coll = newSetup.collection !== null ? await chatDocs.attach(c.id, newSetup.collection) : null;
        created.current = c.id;
        current.current = c.id;
        docsFor.current = c.id;
        setChat(c);
        setAttached(coll);
        setSources({});
        navigate({ view: 'chat', chatId: c.id }, true);
        id = c.id;
      }
    } catch (e) {
      setError(e);
      return;
    }
    setInput('');
    setReady('');
    setInterrupted((m) => {
      const { [id]: _, ...rest } = m;
      return rest;
    });
    await run(id, `/perch/chats/${id}/messages`, { content: text }, model);
  };

  const stop = async () => {
    const r = running.current;
    if (!r) return;
    try {
      await api('POST', `/perch/chats/${r.chatId}/stop`);
      // The server ends the stream with the saved, stopped answer; if it does not within
      // a few seconds, dropping the connection stops it too.
      window.setTimeout(() => {
        if (running.current === r) r.abort.abort();
      }, 3000);
    } catch {
      r.abort.abort();
    }
  };

  // Esc stops the answer being written (after closing whatever else is open).
  const stopRef = useRef(stop);
  stopRef.current = stop;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && running.current && current.current === running.current.chatId) {
        e.preventDefault();
        void stopRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const focusComposer = useCallback(() => {
    window.setTimeout(() => scroller.current?.parentElement?.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus(), 0);
  }, []);
  useShortcutEvent(
    shortcutEvents.newChat,
    useCallback(() => {
      setNewSetup({ model: '', system: '', params: {}, collection: null });
      focusComposer();
    }, [focusComposer]),
  );
  useShortcutEvent(
    shortcutEvents.search,
    useCallback(() => {
      setHistoryOpen(true);
      setSearchTick((n) => n + 1);
    }, []),
  );
  // The composer has the focus when the window opens (and once the models have loaded and
  // it is enabled), so typing starts a message; a focus the user placed elsewhere stays.
  const hasModel = !!model;
  useEffect(() => {
    const idle = () => document.activeElement === document.body || document.activeElement === null;
    if (hasModel && idle()) focusComposer();
    const onFocus = () => {
      if (idle()) focusComposer();
    };
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, [focusComposer, hasModel]);

  const patchChat = async (patch: Partial<Omit<ChatSetup, 'collection'>>) => {
    if (!chat) return;
    const c = await api<Chat>('PATCH', `/perch/chats/${chat.id}`, patch);
    setChat((prev) => (prev && prev.id === c.id ? { ...prev, ...c, messages: prev.messages, context: prev.context } : prev));
    setHistoryVersion((v) => v + 1);
  };

  const onModel = (name: string) => {
    if (chat) patchChat({ model: name }).catch((e: unknown) => setError(e));
    else setNewSetup((s) => ({ ...s, model: name }));
  };

  const attach = async (collection: number | null) => {
    if (!chat) {
      setNewSetup((s) => ({ ...s, collection }));
      return;
    }
    const c = await chatDocs.attach(chat.id, collection);
    setAttached(c);
  };

  const openSource = useCallback((s: Source) => setViewer({ collectionId: s.collection_id, documentId: s.document_id, passageId: s.passage_id }), []);

  // Stable while an answer streams, so the memoised earlier messages are not redrawn each frame.
  const chatNow = chat?.id;
  const edit = useCallback(
    (content: string, messageId: number) => {
      if (chatNow) void run(chatNow, `/perch/chats/${chatNow}/messages/${messageId}/edit`, { content }, model);
    },
    [chatNow, model, run],
  );
  const regenerate = useCallback(() => {
    if (chatNow) void run(chatNow, `/perch/chats/${chatNow}/regenerate`, undefined, model);
  }, [chatNow, model, run]);
  const messagesNow = chat?.messages;
  const continueAnswer = useCallback(
    (messageId: number) => {
      const base = messagesNow?.find((m) => m.id === messageId);
      if (chatNow && base) void run(chatNow, `/perch/chats/${chatNow}/messages/${messageId}/continue`, undefined, base.model || model, base);
    },
    [chatNow, messagesNow, model, run],
  );
  const selectVersion = useCallback(
    (messageId: number) => {
      if (!chatNow) return;
      api<Chat>('POST', `/perch/chats/${chatNow}/messages/${messageId}/select`)
        .then((c) => {
          if (current.current === c.id) setChat(c);
        })
        .catch((e: unknown) => setError(e));
    },
    [chatNow],
  );

  // Busy is this chat's answer only: another chat's stream keeps its Stop button to itself.
  const busy = gen !== null && gen.chatId === chat?.id;
  const otherBusy = gen !== null && !busy;
  const messages = chat?.messages ?? noMessages;
  // The sources of an answer are those found for the user message before it.
  const { sourcesAt, lastAssistant } = useMemo(() => {
    const sourcesAt: (SourceSet | undefined)[] = [];
    let asked: SourceSet | undefined;
    let last: Message | undefined;
    for (const m of messages) {
      if (m.role === 'user') asked = sources[m.id];
      else if (m.role === 'assistant') last = m;
      sourcesAt.push(m.role === 'assistant' ? asked : undefined);
    }
    return { sourcesAt, lastAssistant: last };
  }, [messages, sources]);
  const lastIsAnswer = messages.length > 0 && messages[messages.length - 1]?.role === 'assistant';
  const showDraft = gen && chat && gen.chatId === chat.id;
  const noModels = modelsReady && chatModels.length === 0 && !chat;
  const downloading = activePulls(pulls);
  const lost = chat ? interrupted[chat.id] : undefined;
  const modelInfo = models.find((m) => m.name === model);
  const modelLabel = modelInfo ? displayName(modelInfo) : model;
  // Until the server names the chat, its first message does.
  const firstAsked = messages.find((m) => m.role === 'user')?.content.split('\n')[0]?.slice(0, 80);
  const title = chat?.title || firstAsked || t('chat.new');
  const cited = chat ? attached : (collectionList.find((c) => c.id === newSetup.collection) ?? null);

  return (
    <div
      className={`chat-layout${historyOpen ? ' history-open' : ''}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && historyOpen) {
          e.preventDefault();
          e.stopPropagation();
          setHistoryOpen(false);
        }
      }}
    >
      {historyOpen && <div className="backdrop" onClick={() => setHistoryOpen(false)} aria-hidden="true" />}
      <ChatHistory
        currentId={chat?.id}
        version={historyVersion}
        onOpen={(id) => {
          setHistoryOpen(false);
          navigate({ view: 'chat', chatId: id });
        }}
        onDeleted={(id) => {
          if (id === chat?.id) navigate({ view: 'chat' });
        }}
        onClose={() => setHistoryOpen(false)}
        focusSearch={historyOpen ? searchTick + 1 : 0}
      />
      <section className="chat-main" aria-label={title}>
        <header className="chat-head">
          <button
            type="button"
            className="icon-button history-toggle"
            aria-label={t('chat.history')}
            aria-expanded={historyOpen}
            title={`${t('chat.history')} (${combo('K')})`}
            onClick={() => setHistoryOpen((o) => !o)}
          >
            <Icon name="history" />
          </button>
          <h1 className="chat-title" title={title}>
            {title}
          </h1>
          <ModelSelect className="model-select" models={models} value={model} onChange={onModel} label={t('chat.model')} />
          {chat && (chat.messages?.length ?? 0) > 0 && <ExportMenu chat={chat} />}
          <button
            type="button"
            className="icon-button"
            aria-label={t('chat.options')}
            aria-expanded={optionsOpen}
            title={t('chat.options')}
            onClick={() => setOptionsOpen((o) => !o)}
          >
            <Icon name="sliders" />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={t('chat.new')}
            title={`${t('chat.new')} (${combo('N')})`}
            onClick={() => {
              setNewSetup({ model: '', system: '', params: {}, collection: null });
              navigate({ view: 'chat' });
            }}
          >
            <Icon name="plus" />
          </button>
        </header>
        <RemoteNotice models={models} model={model} />
        {optionsOpen && (
          <ChatOptions
            key={chat?.id ?? 'new'}
            value={chat ? { model, system: chat.system, params: chat.params, collection: attached?.id ?? null } : { ...newSetup, model }}
            models={models}
            collections={docsOn ? collectionList : undefined}
            onClose={() => setOptionsOpen(false)}
            onSave={async (v) => {
              const { collection, ...setup } = v;
              if (chat) {
                await patchChat(setup);
                if (collection !== (attached?.id ?? null)) await attach(collection);
              } else setNewSetup(v);
            }}
          />
        )}
        {docsOn && cited && (
          <CollectionBar
            collection={cited}
            onDetach={() => void attach(null).catch((e: unknown) => setError(e))}
            onManage={() => navigate({ view: 'documents', collectionId: cited.id })}
          />
        )}
        <div
          className="messages"
          ref={scroller}
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
          }}
        >
          {loadError !== '' && !(offline && loadError instanceof ApiError && loadError.status === 0) && (
            <div className="load-error">
              <p className="error">{t('chat.loadError')}</p>
              <ErrorMessage error={loadError} />
            </div>
          )}
          {noModels ? (
            <Recommended title={t('chat.noModelsTitle')} body={t('chat.noModelsBody')} />
          ) : (
            messages.length === 0 &&
            !showDraft &&
            !loadError && (
              <div className={`empty welcome${ready ? ' ready' : ''}`}>
                <h2>{ready ? t('chat.ready') : t('chat.emptyTitle')}</h2>
                <p className="muted">{ready ? t('chat.readyBody', { model: ready }) : t('chat.emptyBody')}</p>
              </div>
            )
          )}
          {messages.map((m, i) =>
            gen?.continues === m.id ? null : (
              <MessageItem
                key={m.id}
                message={m}
                sources={sourcesAt[i]}
                onOpenSource={openSource}
                canEdit={!busy}
                canRegenerate={!busy && lastIsAnswer && m === lastAssistant}
                canContinue={!busy && lastIsAnswer && m === lastAssistant}
                onEdit={edit}
                onRegenerate={regenerate}
                onContinue={continueAnswer}
                onSelectVersion={selectVersion}
              />
            ),
          )}
          {showDraft && (
            <MessageItem message={gen.draft} streaming sources={gen.userId !== undefined ? sources[gen.userId] : undefined} onOpenSource={openSource} />
          )}
          {lost && !showDraft && (
            <div className="interrupted">
              {(lost.content || lost.reasoning) && <MessageItem message={lost} />}
              <p className="tag warn interrupted-note">{t('chat.interrupted')}</p>
              {!busy && !offline && messages[messages.length - 1]?.role === 'user' && (
                <button type="button" className="text-button small" onClick={regenerate}>
                  {t('common.retry')}
                </button>
              )}
            </div>
          )}
          {chat?.generating && !showDraft && <p className="writing">{t('chat.writing')}</p>}
          {error !== '' && !(offline && error instanceof ApiError && error.status === 0) && (
            <div className="error-box">
              <ErrorMessage error={error} />
              {chat && messages.length > 0 && messages[messages.length - 1]?.role === 'user' && (
                <button type="button" className="text-button small" onClick={regenerate}>
                  {t('common.retry')}
                </button>
              )}
            </div>
          )}
        </div>
        <footer className="chat-foot">
          {downloading[0] && !noModels && (
            <div className="chat-pulls" aria-label={t('models.downloads')}>
              <PullLine pull={downloading[0]} compact />
            </div>
          )}
          <ContextMeter meter={chat?.context} />
          <Composer
            value={input}
            onChange={setInput}
            onSend={() => void send()}
            onStop={() => void stop()}
            busy={busy}
            disabled={!model || otherBusy}
            focusToken={focusToken}
            placeholder={otherBusy ? t('chat.otherBusy') : model ? t('chat.placeholder', { model: modelLabel }) : t('chat.placeholderNoModel')}
          />
          <p className="hint">{t('chat.hint')}</p>
          <p className="visually-hidden" role="status" aria-live="polite">
            {announce}
          </p>
        </footer>
        {viewer && <PassageViewer {...viewer} onClose={() => setViewer(null)} />}
      </section>
    </div>
  );
}
