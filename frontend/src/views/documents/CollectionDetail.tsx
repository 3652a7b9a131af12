import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { ApiError } from '../../api/client';
import { collections } from '../../api/collections';
import type { Collection, DocInfo } from '../../api/types';
import { Icon } from '../../components/Icon';
import { PassageViewer, type PassageRef } from '../../components/PassageViewer';
import { useI18n } from '../../i18n';
import { count } from '../../lib/docs';
import { hashOf, useApp } from '../../state';
import { AddDocuments } from './AddDocuments';
import { CollectionSettings } from './CollectionSettings';
import { DocumentList } from './DocumentList';
import { RunProgress, useIndexRun } from './IndexRun';
import { SearchPanel } from './SearchPanel';
import { CollectionFacts, StatusBadge } from './StatusBadge';

interface Props {
  id: number;
  /** The view is on screen (polling a run started elsewhere only then). */
  active: boolean;
  /** The API's warning from creating it (a chat model embeds). */
  warning: string;
  recommended?: string;
  onDismissWarning: () => void;
}

/** One collection: add and delete documents, re-index, search, rename, switch model. */
export function CollectionDetail({ id, active, warning, recommended, onDismissWarning }: Props) {
  const { t, fmt } = useI18n();
  const { models, navigate } = useApp();
  const [data, setData] = useState<{ collection: Collection; documents: DocInfo[] } | null>(null);
  const [error, setError] = useState<unknown>('');
  const [missing, setMissing] = useState(false);
  const [settings, setSettings] = useState(false);
  const [note, setNote] = useState('');
  const [open, setOpen] = useState<PassageRef | null>(null);

  const load = useCallback(async () => {
    try {
      setData(await collections.get(id));
      setError('');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError(e);
    }
  }, [id]);
  useEffect(() => {
    setData(null);
    setMissing(false);
    setSettings(false);
    setNote('');
    void load();
  }, [load]);

  const { run, start, cancel, clear } = useIndexRun(useCallback(() => void load(), [load]));
  const running = run?.running ?? false;

  // A run started elsewhere (another window, the API): follow it until it ends.
  const c = data?.collection;
  useEffect(() => {
    if (!active || running || c?.status !== 'indexing') return;
    const timer = window.setInterval(() => void load(), 2000);
    return () => window.clearInterval(timer);
  }, [active, running, c?.status, load]);

  const back = (
    <a
      className="icon-button back"
      href={hashOf({ view: 'documents' })}
      aria-label={t('docs.all')}
      title={t('docs.all')}
      onClick={(e) => {
        e.preventDefault();
        navigate({ view: 'documents' });
      }}
    >
      <Icon name="back" />
    </a>
  );

  if (missing) {
    return (
      <div className="empty">
        <p>{t('docs.missing')}</p>
        {back}
      </div>
    );
  }
  if (!c || !data) {
    return (
      <div className="scroll-view documents-view">
        <div className="collection-head">{back}</div>
        {error ? (
          <ErrorMessage error={error} className="error section" />
        ) : (
          <p className="muted section">{t('common.loading')}</p>
        )}
      </div>
    );
  }

  const shown = note || warning;
  return (
    <div className="scroll-view documents-view">
      <header className="collection-head">
        {back}
        <div className="grow">
          <h1 className="collection-title">
            {c.name} <StatusBadge status={running ? 'indexing' : c.status} />
          </h1>
          <CollectionFacts c={c} />
        </div>
        {c.passages > 0 && c.status !== 'needs_reindex' && (
          <a
            className="primary small ask"
            href={hashOf({ view: 'chat', collectionId: c.id })}
            onClick={(e) => {
              e.preventDefault();
              navigate({ view: 'chat', collectionId: c.id });
            }}
          >
            {t('docs.ask')}
          </a>
        )}
        <button
          type="button"
          className="icon-button"
          aria-label={t('docs.settings')}
          title={t('docs.settings')}
          aria-expanded={settings}
          onClick={() => setSettings((s) => !s)}
        >
          <Icon name="sliders" />
        </button>
      </header>
      {settings && (
        <CollectionSettings
          collection={c}
          models={models}
          recommended={recommended}
          onClose={() => setSettings(false)}
          onSaved={(next) => {
            setSettings(false);
            setNote(next.warning ?? '');
            void load();
          }}
          onDeleted={() => navigate({ view: 'documents' }, true)}
        />
      )}
      {shown && (
        <div className="notice small row collection-warning" role="status">
          <span className="grow">{shown}</span>
          <button
            type="button"
            className="icon-button"
            aria-label={t('pull.dismiss')}
            onClick={() => {
              setNote('');
              onDismissWarning();
            }}
          >
            <Icon name="close" size={12} />
          </button>
        </div>
      )}
      <ErrorMessage error={error} className="error small section" />
      {(c.status === 'needs_reindex' || run?.kind === 'reindex') && (
        <section className={`section reindex${c.status === 'needs_reindex' ? ' warn' : ''}`} aria-label={t('docs.reindex')}>
          {c.status === 'needs_reindex' && !running && (
            <div className="row">
              <p className="small grow">{t('docs.needsReindex', { docs: count(t, fmt, c.stale_documents, 'documents'), model: c.embedding_model })}</p>
              <button type="button" className="primary small" onClick={() => void start('reindex', (on, signal) => collections.reindex(c.id, on, signal))}>
                <Icon name="refresh" size={13} />
                {t('docs.reindex')}
              </button>
            </div>
          )}
          {run?.kind === 'reindex' && <RunProgress run={run} onCancel={cancel} onDismiss={clear} />}
        </section>
      )}
      <AddDocuments
        collectionId={c.id}
        collectionName={c.name}
        busy={running || c.status === 'indexing'}
        onAdded={() => void load()}
        onFolder={(path) => void start('folder', (on, signal) => collections.addFolder(c.id, path, on, signal))}
      >
        {run?.kind === 'folder' && <RunProgress run={run} onCancel={cancel} onDismiss={clear} />}
      </AddDocuments>
      <SearchPanel
        collection={c}
        onOpen={(r) => setOpen({ collectionId: c.id, documentId: r.document_id, passageId: r.id })}
        onSaveMinScore={async (v) => {
          await collections.update(c.id, { min_score: v });
          await load();
        }}
      />
      <DocumentList docs={data.documents} onOpen={(d) => setOpen({ collectionId: c.id, documentId: d.id })} onChanged={() => void load()} />
      {open && <PassageViewer {...open} onClose={() => setOpen(null)} />}
    </div>
  );
}
