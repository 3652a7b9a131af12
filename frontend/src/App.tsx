import { useMemo, useRef, useState } from 'react';
import { setApiKey } from './api/client';
import { Icon } from './components/Icon';
import { ShortcutsHelp } from './components/ShortcutsHelp';
import { combo, send, shortcutEvents, useShortcuts } from './lib/shortcuts';
import { I18nProvider, resolveLanguage, useI18n, type MessageKey } from './i18n';
import { useDesktop } from './lib/desktop';
import { activePulls, AppProvider, hashOf, useApp, type View } from './state';
import { ChatView } from './views/ChatView';
import { DocumentsView } from './views/DocumentsView';
import { MemoryView } from './views/MemoryView';
import { ModelsView } from './views/ModelsView';
import { SettingsView } from './views/SettingsView';
import { TokensView } from './views/TokensView';

const tabs: { view: View; label: MessageKey }[] = [
  { view: 'chat', label: 'nav.chat' },
  { view: 'documents', label: 'nav.documents' },
  { view: 'models', label: 'nav.models' },
  { view: 'memory', label: 'nav.memory' },
  { view: 'tokens', label: 'nav.tokens' },
  { view: 'settings', label: 'nav.settings' },
];

// DetachButton turns the popover under the menu-bar icon into a normal window and back; it
// exists only in the desktop window.
function DetachButton() {
  const { t } = useI18n();
  const desktop = useDesktop();
  const [detached, setDetached] = useState(false);
  if (!desktop) return null;
  const label = detached ? t('nav.attach') : t('nav.detach');
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={label}
      title={label}
      onClick={() => {
        if (detached) desktop.attach();
        else desktop.detach();
        setDetached(!detached);
      }}
    >
      <Icon name={detached ? 'attach' : 'detach'} />
    </button>
  );
}

/** The tabs shown: Documents only where the server has the collection store. */
function useTabs() {
  const docs = !!useApp().status?.features.collections;
  return useMemo(() => tabs.filter((tab) => tab.view !== 'documents' || docs), [docs]);
}

/** The window-wide keyboard shortcuts and their help sheet. */
function Shortcuts() {
  const { navigate, lastChatId } = useApp();
  const shown = useTabs();
  const [help, setHelp] = useState(false);
  const handlers = useMemo(
    () => ({
      tab: (i: number) => {
        const tab = shown[i];
        if (tab) navigate(tab.view === 'chat' ? { view: 'chat', chatId: lastChatId } : { view: tab.view });
      },
      newChat: () => {
        navigate({ view: 'chat' });
        send(shortcutEvents.newChat);
      },
      search: () => {
        navigate({ view: 'chat', chatId: lastChatId });
        send(shortcutEvents.search);
      },
      help: () => setHelp((h) => !h),
    }),
    [navigate, shown, lastChatId],
  );
  useShortcuts(handlers);
  return help ? <ShortcutsHelp onClose={() => setHelp(false)} /> : null;
}

function Nav() {
  const { t } = useI18n();
  const { route, navigate, lastChatId, pulls } = useApp();
  const shown = useTabs();
  const downloading = activePulls(pulls).length;
  // The Chat tab returns to the chat the user was in, not to an empty new one.
  const target = (view: View) => (view === 'chat' ? { view, chatId: lastChatId } : { view });
  return (
    <nav className="topbar" aria-label={t('nav.label')}>
      <DetachButton />
      <ul className="segmented">
        {shown.map((tab, i) => (
          <li key={tab.view}>
            <a
              href={hashOf(target(tab.view))}
              title={`${t(tab.label)} (${combo(String(i + 1))})`}
              aria-current={route.view === tab.view ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                if (route.view !== tab.view) navigate(target(tab.view));
              }}
            >
              {t(tab.label)}
              {tab.view === 'models' && downloading > 0 && (
                <span className="nav-badge" title={t('nav.downloadsBadge', { n: downloading })}>
                  <span className="visually-hidden">{t('nav.downloadsBadge', { n: downloading })}</span>
                  <span aria-hidden="true">{downloading}</span>
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function KeyPrompt() {
  const { t } = useI18n();
  const { refreshStatus, refreshModels } = useApp();
  const [key, setKey] = useState('');
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        className="card key-card"
        onSubmit={(e) => {
          e.preventDefault();
          setApiKey(key.trim());
          void refreshStatus().then(refreshModels);
        }}
      >
        <h1 id="key-title">{t('key.title')}</h1>
        <p className="muted">{t('key.body')}</p>
        <label className="field">
          <span>{t('key.label')}</span>
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} autoComplete="off" autoFocus />
        </label>
        <button type="submit" className="primary" disabled={!key.trim()}>
          {t('key.submit')}
        </button>
      </form>
    </div>
  );
}

/**
 * The connection banner: the server is unreachable and the app reconnects by itself; the views
 * stay (with what they showed) and reload when it is back.
 */
function ConnectionBanner() {
  const { t } = useI18n();
  const { offline, refreshStatus, refreshModels } = useApp();
  if (!offline) return null;
  return (
    <div className="conn-banner" role="alert">
      <span className="spinner" aria-hidden="true" />
      <span>{t('banner.offline')}</span>
      <span className="spacer" />
      <button type="button" className="text-button small" onClick={() => void refreshStatus().then(refreshModels)}>
        {t('common.retry')}
      </button>
    </div>
  );
}

function Shell() {
  const { route, needKey, status } = useApp();
  // The chat stays mounted while other views are shown, so an answer keeps streaming (and
  // the draft and scroll position stay) when the user looks at Memory meanwhile. Documents,
  // once opened, stays too, so a folder being indexed goes on while the user chats.
  const lastChat = useRef<number | undefined>(undefined);
  const docs = useRef<{ seen: boolean; collectionId?: number }>({ seen: false });
  if (route.view === 'chat') lastChat.current = route.chatId;
  if (route.view === 'documents') docs.current = { seen: true, collectionId: route.collectionId };
  const docsOn = !!status?.features.collections;
  const { t } = useI18n();
  let other;
  switch (route.view) {
    case 'models':
      other = <ModelsView />;
      break;
    case 'memory':
      other = <MemoryView />;
      break;
    case 'tokens':
      other = <TokensView />;
      break;
    case 'settings':
      other = <SettingsView />;
      break;
    case 'documents':
      if (status && !docsOn) other = <p className="muted section">{t('common.unavailable')}</p>;
      break;
  }
  return (
    <div className="app">
      <Nav />
      <ConnectionBanner />
      <main className="view">
        {
          <>
            <div className="pane" hidden={route.view !== 'chat'}>
              <ChatView
                chatId={lastChat.current}
                askCollection={route.view === 'chat' && !route.chatId ? route.collectionId : undefined}
                askModel={route.view === 'chat' && !route.chatId ? route.model : undefined}
              />
            </div>
            {docsOn && docs.current.seen && (
              <div className="pane" hidden={route.view !== 'documents'}>
                <DocumentsView collectionId={docs.current.collectionId} active={route.view === 'documents'} />
              </div>
            )}
            {other}
          </>
        }
      </main>
      {needKey && <KeyPrompt />}
      <Shortcuts />
    </div>
  );
}

function Localised() {
  const { language } = useApp();
  const lang = resolveLanguage(language, navigator.languages ?? [navigator.language]);
  document.documentElement.lang = lang;
  return (
    <I18nProvider lang={lang}>
      <Shell />
    </I18nProvider>
  );
}

export function App() {
  return (
    <AppProvider>
      <Localised />
    </AppProvider>
  );
}
