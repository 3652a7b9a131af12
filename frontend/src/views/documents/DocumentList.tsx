import { useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { collections } from '../../api/collections';
import type { DocInfo } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { baseName, count } from '../../lib/docs';
import { DeleteConfirm } from '../../components/Feedback';

function DocumentRow({ doc, onOpen, onDeleted }: { doc: DocInfo; onOpen: () => void; onDeleted: () => void }) {
  const { t, fmt } = useI18n();
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>('');
  const name = baseName(doc.name);
  const facts = [
    doc.format,
    fmt.bytes(doc.size),
    doc.pages ? count(t, fmt, doc.pages, 'pages') : '',
    count(t, fmt, doc.passages, 'passages'),
    fmt.relative(doc.updated_at),
  ].filter(Boolean);

  return (
    <li className="doc-row">
      <div className="doc-main">
        <button type="button" className="doc-open" onClick={onOpen} title={doc.source || doc.name}>
          <Icon name="file" size={14} />
          <span className="doc-name">{name}</span>
        </button>
        {doc.stale && <span className="badge warn">{t('docs.stale')}</span>}
        <span className="spacer" />
        <button
          type="button"
          className="icon-button"
          aria-label={t('docs.deleteDoc', { name })}
          title={t('docs.deleteDoc', { name })}
          onClick={() => setConfirm(true)}
        >
          <Icon name="trash" size={14} />
        </button>
      </div>
      {doc.source && doc.source !== name && <span className="muted small mono doc-source">{doc.source}</span>}
      <span className="muted small">{facts.join(' · ')}</span>
      {confirm && (
        <DeleteConfirm
          question={t('docs.deleteDocConfirm', { name })}
          busy={busy}
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setBusy(true);
            collections
              .removeDocument(doc.collection_id, doc.id)
              .then(onDeleted)
              .catch((e: unknown) => {
                setError(e);
                setBusy(false);
              });
          }}
        />
      )}
      <ErrorMessage error={error} className="error small" />
    </li>
  );
}

/** The documents of a collection: open one, or delete it. */
export function DocumentList({ docs, onOpen, onChanged }: { docs: DocInfo[]; onOpen: (d: DocInfo) => void; onChanged: () => void }) {
  const { t, fmt } = useI18n();
  return (
    <section className="section" aria-labelledby="doclist-title">
      <h2 id="doclist-title" className="section-title">
        {t('docs.documents')} <span className="muted">{fmt.number(docs.length)}</span>
      </h2>
      {docs.length === 0 ? (
        <p className="muted small">{t('docs.noDocuments')}</p>
      ) : (
        <ul className="doc-list">
          {docs.map((d) => (
            <DocumentRow key={d.id} doc={d} onOpen={() => onOpen(d)} onDeleted={onChanged} />
          ))}
        </ul>
      )}
    </section>
  );
}
