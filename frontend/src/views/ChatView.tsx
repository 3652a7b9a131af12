import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { chats } from '../api/chats';
import { chatDocs } from '../api/collections';
import type { Chat, Message, Source, SourceSet } from '../api/types';
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
import { useChatDocs } from './chat/useChatDocs';
import { useChatStream } from './chat/useChatStream';

const noMessages: Message[] = [];

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
  // The first model just arrived (its download finished while this view showed the first-run
  // card): say so and focus the composer.
  const [ready, setReady] = useState('');
  const [focusToken, setFocusToken] = useState(0);
  const hadNoModels = useRef(false);
  const [announce, setAnnounce] = useState('');
  const [historyOpen, setHistoryOpen] = useState(false);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [searchTick, setSearchTick] = useState(0);
  const [newSetup, setNewSetup] = useState<ChatSetup>({ model: '', system: '', params: {}, collection: null });
  // A passage being read (from an answer's sources).
  const [viewer, setViewer] = useState<PassageRef | null>(null);

  const created = useRef<number | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  const docsOn = !!status?.features.collections;
  const chatModels = models.filter((m) => !m.embedding);
  // The default model when it is installed, else the first chat model (a default that was
  // deleted, or none yet when the first download finishes).
  const installed = (n: string | undefined) => (n && chatModels.some((m) => m.name === n) ? n : '');
  const defaultModel = installed(settings?.settings.default_model) || installed(status?.default_model) || chatModels.find((m) => !m.remote)?.name || ''; // never a remote model by itself
  const model = chat ? chat.model || defaultModel : newSetup.model || defaultModel;

  // Documents: the collection the chat cites, the collections to pick from, and the sources of
  // each answer (by the id of the user message it answers).
  const docs = useChatDocs({ chatId, on: docsOn, picking: optionsOpen, newCollection: newSetup.collection });
  const { attached, sources, setSources, load: loadDocs } = docs;

  // The answer being written (streaming, Stop, its draft and errors) lives in useChatStream.
  const { gen, error, setError, interrupted, clearInterrupted, current, isRunning, start, stop } = useChatStream(chatId, {
    setChat,
    setSources,
    reload: (id) => void loadChat(id),
    announce: setAnnounce,
    onStart: () => {
      stick.current = true;
    },
    onEnd: () => {
      setHistoryVersion((v) => v + 1);
      void refreshModels();
    },
  });

  const loadChat = useCallback(
    async (id: number) => {
      try {
        const c = await chats.get(id);
        if (current.current === id) {
          setChat(c);
          setLoadError('');
        }
      } catch (e) {
        if (current.current === id) setLoadError(e);
      }
    },
    [current],
  );

  useEffect(() => {
    setLoadError('');
    setOptionsOpen(false);
    if (created.current === chatId) {
      created.current = null; // made here a moment ago; the state already holds it
      return;
    }
    setChat(null);
    if (chatId) void loadChat(chatId);
  }, [chatId, loadChat]);

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
    if (id && !isRunning()) void loadChat(id);
  }, [reconnects, loadChat, setError, current, isRunning]);

  // An answer started before a reload (or in another window) is followed until it is saved.
  useEffect(() => {
    if (!chat?.generating || isRunning(chat.id)) return;
    const timer = window.setTimeout(() => {
      void loadChat(chat.id);
      if (docsOn) void loadDocs(chat.id);
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [chat, loadChat, docsOn, loadDocs, isRunning]);

  // Keep the newest text in view while the user has not scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chat?.messages, gen]);

  const send = async () => {
    const text = input;
    if (!text.trim() || isRunning()) return;
    setError('');
    let id = chat?.id;
    try {
      if (!id) {
        const c = await chats.create({ model, system: newSetup.system, params: newSetup.params });
        c.messages = [];
        // Attached before the first question, so it is answered from the documents too.
        const coll = newSetup.collection !== null ? await chatDocs.attach(c.id, newSetup.collection) : null;
        created.current = c.id;
        current.current = c.id;
        docs.adopt(c.id, coll);
        setChat(c);
        navigate({ view: 'chat', chatId: c.id }, true);
        id = c.id;
      }
    } catch (e) {
      setError(e);
      return;
    }
    setInput('');
    setReady('');
    clearInterrupted(id);
    await start(id, { kind: 'send', content: text }, model);
  };

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
    const c = await chats.update(chat.id, patch);
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
    docs.setAttached(c);
  };

  const openSource = useCallback((s: Source) => setViewer({ collectionId: s.collection_id, documentId: s.document_id, passageId: s.passage_id }), []);

  // Stable while an answer streams, so the memoised earlier messages are not redrawn each frame.
  const chatNow = chat?.id;
  const edit = useCallback(
    (content: string, messageId: number) => {
      if (chatNow) void start(chatNow, { kind: 'edit', messageId, content }, model);
    },
    [chatNow, model, start],
  );
  const regenerate = useCallback(() => {
    if (chatNow) void start(chatNow, { kind: 'regenerate' }, model);
  }, [chatNow, model, start]);
  const messagesNow = chat?.messages;
  const continueAnswer = useCallback(
    (messageId: number) => {
      const base = messagesNow?.find((m) => m.id === messageId);
      if (chatNow && base) void start(chatNow, { kind: 'continue', messageId }, base.model || model, base);
    },
    [chatNow, messagesNow, model, start],
  );
  const selectVersion = useCallback(
    (messageId: number) => {
      if (!chatNow) return;
      chats
        .selectVersion(chatNow, messageId)
        .then((c) => {
          if (current.current === c.id) setChat(c);
        })
        .catch((e: unknown) => setError(e));
    },
    [chatNow, current, setError],
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
  const cited = chat ? attached : (docs.list.find((c) => c.id === newSetup.collection) ?? null);

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
            collections={docsOn ? docs.list : undefined}
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
          <ContextMeter meter={chat?.context} remote={models.find((m) => m.name === chat?.context?.model)?.remote?.endpoint} />
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
