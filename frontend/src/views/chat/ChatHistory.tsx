import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, errorText } from '../../api/client';
import type { ChatSummary } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { parseChatFile } from '../../lib/chatFile';
import { DeleteConfirm, ErrorText } from '../../components/Feedback';

interface Props {
  currentId: number | undefined;
  /** Bumped by the chat view when a chat changed, to reload the list. */
  version: number;
  onOpen: (id: number) => void;
  onDeleted: (id: number) => void;
  onClose?: () => void;
  /** Moves focus to the search field when it turns truthy or changes (history opened, ⌘K). */
  focusSearch?: boolean | number;
}

/** Text with each match of q marked (case-insensitive), for search hits. */
export function Highlight({ text, q }: { text: string; q: string }) {
  const needle = q.trim().toLowerCase();
  if (!needle) return <>{text}</>;
  const out: ReactNode[] = [];
  const hay = text.toLowerCase();
  let at = 0;
  // Lowering can change lengths outside ASCII; then the text is shown unmarked.
  if (hay.length !== text.length) return <>{text}</>;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, at)) {
    if (i > at) out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + needle.length)}</mark>);
    at = i + needle.length;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}

type Group = 'today' | 'yesterday' | 'week' | 'month' | 'older';

/** The date group of a chat, by the local calendar day it was last updated. */
export function groupOf(updated: string, now = new Date()): Group {
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(new Date(updated))) / 86_400_000);
  return days <= 0 ? 'today' : days === 1 ? 'yesterday' : days < 7 ? 'week' : days < 30 ? 'month' : 'older';
}

function HistoryItem({
  chat,
  current,
  query,
  tabStop,
  onOpen,
  onChanged,
  onDeleted,
}: {
  chat: ChatSummary;
  current: boolean;
  /** The search text, marked where it matches. */
  query: string;
  /** The row that takes the list's one Tab stop; the others are reached with ↑ ↓. */
  tabStop: boolean;
  onOpen: () => void;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const { t, fmt } = useI18n();
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  const [title, setTitle] = useState(chat.title);
  const [error, setError] = useState('');
  const shown = chat.title || t('chat.untitled');

  const rename = async () => {
    try {
      await api('PATCH', `/perch/chats/${chat.id}`, { title });
      setMode('view');
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', `/perch/chats/${chat.id}`);
      onDeleted();
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (mode === 'rename') {
    return (
      <li className="history-item editing">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void rename();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setMode('view');
            }
          }}
        >
          <input aria-label={t('chat.renameLabel')} value={title} onChange={(e) => setTitle(e.target.value)} autoFocus maxLength={200} />
          <button type="submit" className="primary small">
            {t('common.save')}
          </button>
          <button type="button" className="text-button small" onClick={() => setMode('view')}>
            {t('common.cancel')}
          </button>
        </form>
        <ErrorText error={error} />
      </li>
    );
  }
  if (mode === 'delete') {
    return (
      <li className="history-item confirming">
        <DeleteConfirm className="" question={t('chat.deleteConfirm', { title: shown })} onConfirm={() => void remove()} onCancel={() => setMode('view')} />
        <ErrorText error={error} />
      </li>
    );
  }
  return (
    <li className={`history-item${current ? ' current' : ''}`}>
      <button
        type="button"
        className="history-open"
        onClick={onOpen}
        aria-current={current ? 'true' : undefined}
        tabIndex={tabStop ? 0 : -1}
        aria-keyshortcuts="F2 Delete"
        onKeyDown={(e) => {
          if (e.key === 'F2') {
            e.preventDefault();
            setTitle(chat.title);
            setMode('rename');
          } else if (e.key === 'Delete' || (e.key === 'Backspace' && (e.metaKey || e.ctrlKey))) {
            e.preventDefault();
            setMode('delete');
          }
        }}
      >
        <span className="history-title">
          <Highlight text={shown} q={query} />
        </span>
        <span className="history-meta">
          {chat.snippet ? <Highlight text={chat.snippet} q={query} /> : `${chat.model || '—'} · ${fmt.relative(chat.updated_at)}`}
        </span>
      </button>
      <div className="history-actions">
        <button
          type="button"
          className="icon-button"
          aria-label={`${t('chat.rename')}: ${shown}`}
          title={`${t('chat.rename')} (F2)`}
          tabIndex={-1}
          onClick={() => {
            setTitle(chat.title);
            setMode('rename');
          }}
        >
          <Icon name="edit" size={13} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`${t('common.delete')}: ${shown}`}
          title={`${t('common.delete')} (Delete)`}
          tabIndex={-1}
          onClick={() => setMode('delete')}
        >
          <Icon name="trash" size={13} />
        </button>
      </div>
    </li>
  );
}

export function ChatHistory({ currentId, version, onOpen, onDeleted, onClose, focusSearch }: Props) {
  const { t } = useI18n();
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focusSearch) search.current?.focus();
  }, [focusSearch]);
  const [query, setQuery] = useState('');
  const [chats, setChats] = useState<ChatSummary[] | null>(null);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);
  const [importError, setImportError] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  // The file input exists only once Import is pressed, so it is never mistaken for another
  // view's file picker.
  const [picking, setPicking] = useState(0);
  useEffect(() => {
    if (picking) picker.current?.click();
  }, [picking]);

  // An imported file is checked here first; one that is not Perch's changes nothing.
  const importFile = async (f: File) => {
    setImportError('');
    const parsed = parseChatFile(await f.text());
    if (!parsed.ok) {
      setImportError(t(parsed.reason === 'notJSON' ? 'chat.importNotJSON' : parsed.reason === 'empty' ? 'chat.importEmpty' : 'chat.importNotPerch', { name: f.name }));
      return;
    }
    try {
      const c = await api<{ id: number }>('POST', '/perch/chats/import', parsed.file);
      setReload((n) => n + 1);
      onOpen(c.id);
    } catch (e) {
      setImportError(`${t('chat.importFailed', { name: f.name })} ${errorText(e)}`);
    }
  };

  useEffect(() => {
    const ctrl = new AbortController();
    // Searching waits for a pause in typing; the plain list loads at once.
    const delay = query ? 200 : 0;
    const timer = window.setTimeout(() => {
      api<{ chats: ChatSummary[] }>('GET', `/perch/chats?q=${encodeURIComponent(query)}`, undefined, ctrl.signal)
        .then((r) => {
          setChats(r.chats);
          setError('');
        })
        .catch((e: unknown) => {
          if (!ctrl.signal.aborted) setError(errorText(e));
        });
    }, delay);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [query, version, reload]);

  return (
    <aside className="history" aria-label={t('chat.history')}>
      <div className="history-head">
        <label className="search">
          <Icon name="search" size={13} />
          <input
            ref={search}
            type="search"
            placeholder={t('chat.searchHistory')}
            aria-label={t('chat.searchHistory')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button type="button" className="icon-button" aria-label={t('chat.import')} title={t('chat.import')} onClick={() => setPicking((n) => n + 1)}>
          <Icon name="file" size={14} />
        </button>
        {picking > 0 && (
        <input
          ref={picker}
          type="file"
          accept=".json,application/json"
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
        )}
        {onClose && (
          <button type="button" className="icon-button history-close" aria-label={t('chat.historyClose')} title={t('chat.historyClose')} onClick={onClose}>
            <Icon name="close" size={14} />
          </button>
        )}
      </div>
      <ErrorText error={error} />
      <ErrorText error={importError} />
      {chats && chats.length === 0 && (
        <p className="muted small history-empty">{query ? t('chat.noMatches', { q: query }) : t('chat.noChats')}</p>
      )}
      <ul
        className="history-list"
        onKeyDown={(e) => {
          // ↑ ↓ Home End move between rows: the list is one Tab stop, not three per row.
          const rows = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('.history-open')];
          const at = rows.indexOf(document.activeElement as HTMLButtonElement);
          if (at < 0) return;
          const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1 }[e.key];
          if (to === undefined) return;
          e.preventDefault();
          rows[Math.max(0, Math.min(rows.length - 1, to))]?.focus();
        }}
      >
        {chats?.flatMap((c, i) => {
          // Date groups (Today, Yesterday, …) while browsing; a search lists hits by recency.
          const g = groupOf(c.updated_at);
          const head =
            !query && (i === 0 || groupOf(chats[i - 1]!.updated_at) !== g)
              ? [
                  <li key={`g-${g}`} className="history-group">
                    <h2>{t(`chat.group.${g}`)}</h2>
                  </li>,
                ]
              : [];
          return [
            ...head,
          <HistoryItem
            key={c.id}
            chat={c}
            query={query}
            current={c.id === currentId}
            tabStop={currentId !== undefined && chats.some((x) => x.id === currentId) ? c.id === currentId : i === 0}
            onOpen={() => onOpen(c.id)}
            onChanged={() => setReload((n) => n + 1)}
            onDeleted={() => {
              setReload((n) => n + 1);
              onDeleted(c.id);
            }}
          />,
          ];
        })}
      </ul>
    </aside>
  );
}
