import { useId, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { collections } from '../../api/collections';
import type { Collection, Model } from '../../api/types';
import { useI18n } from '../../i18n';
import { EmbeddingSelect } from './embedding';
import { DeleteConfirm } from '../../components/Feedback';

interface Props {
  collection: Collection;
  models: Model[];
  recommended?: string;
  onSaved: (c: Collection) => void;
  onDeleted: () => void;
  onClose: () => void;
}

/** Rename a collection, switch its embedding model (its documents then need re-indexing), or delete it. */
export function CollectionSettings({ collection, models, recommended, onSaved, onDeleted, onClose }: Props) {
  const { t } = useI18n();
  const ids = { name: useId(), model: useId() };
  const [name, setName] = useState(collection.name);
  const [model, setModel] = useState(collection.embedding_model);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>('');
  const chosen = models.find((m) => m.name === model);
  const switching = model !== collection.embedding_model;

  const fail = (e: unknown) => {
    setError(e);
    setBusy(false);
  };

  return (
    <form
      className="sheet collection-settings"
      aria-label={t('docs.settings')}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError('');
        const patch: { name?: string; embedding_model?: string } = {};
        if (name.trim() !== collection.name) patch.name = name.trim();
        if (switching) patch.embedding_model = model;
        collections
          .update(collection.id, patch)
          .then((c) => {
            setBusy(false);
            onSaved(c);
          })
          .catch(fail);
      }}
    >
      <label className="field" htmlFor={ids.name}>
        <span>{t('docs.name')}</span>
        <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="field">
        <label htmlFor={ids.model}>{t('docs.embeddingModel')}</label>
        <EmbeddingSelect id={ids.model} models={models} value={model} onChange={setModel} recommended={recommended} />
        {chosen && !chosen.embedding && <p className="notice small">{t('docs.chatModelHint')}</p>}
        {switching && collection.documents > 0 && <p className="muted small">{t('docs.switchHint')}</p>}
      </div>
      <ErrorMessage error={error} className="error small" />
      <div className="row end">
        <button type="button" className="text-button danger-text" onClick={() => setConfirm(true)}>
          {t('docs.deleteCollection')}
        </button>
        <span className="spacer" />
        <button type="button" className="text-button" onClick={onClose}>
          {t('common.close')}
        </button>
        <button type="submit" className="primary" disabled={busy || !name.trim() || (name.trim() === collection.name && !switching)}>
          {t('common.save')}
        </button>
      </div>
      {confirm && (
        <DeleteConfirm
          question={t('docs.deleteCollectionConfirm', { name: collection.name })}
          busy={busy}
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setBusy(true);
            collections.remove(collection.id).then(onDeleted).catch(fail);
          }}
        />
      )}
    </form>
  );
}
