import { useId, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { collections } from '../../api/collections';
import type { CatalogModel, Collection, Model } from '../../api/types';
import { useI18n } from '../../i18n';
import { defaultEmbedding, EmbeddingSelect, installedCopy } from './embedding';
import { RecommendedEmbedding } from './RecommendedEmbedding';

interface Props {
  models: Model[];
  recommended: CatalogModel | null;
  onCreated: (c: Collection) => void;
  onCancel?: () => void;
}

/** A new collection: its name and the model that embeds its passages. */
export function CollectionForm({ models, recommended, onCreated, onCancel }: Props) {
  const { t } = useI18n();
  const ids = { name: useId(), model: useId() };
  const [name, setName] = useState('');
  // Until the user picks, the default follows the models and the catalog as they arrive.
  const [picked, setPicked] = useState<string | null>(null);
  const model = picked ?? defaultEmbedding(models, recommended);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>('');
  const rec = installedCopy(models, recommended);

  const chosen = models.find((m) => m.name === model);
  const isChatModel = chosen !== undefined && !chosen.embedding;

  return (
    <form
      className="card collection-form"
      aria-label={t('docs.newCollection')}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError('');
        collections
          .create(name.trim(), model)
          .then(onCreated)
          .catch((err: unknown) => setError(err))
          .finally(() => setBusy(false));
      }}
    >
      <label className="field" htmlFor={ids.name}>
        <span>{t('docs.name')}</span>
        <input id={ids.name} value={name} placeholder={t('docs.namePlaceholder')} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <div className="field">
        <label htmlFor={ids.model}>{t('docs.embeddingModel')}</label>
        <EmbeddingSelect
          id={ids.model}
          models={models}
          value={model}
          recommended={rec?.name}
          onChange={setPicked}
        />
        {isChatModel && (
          <p className="notice small">
            {t('docs.chatModelHint')}
          </p>
        )}
      </div>
      {recommended && !rec && <RecommendedEmbedding entry={recommended} />}
      <ErrorMessage error={error} className="error small" />
      <div className="row end">
        {onCancel && (
          <button type="button" className="text-button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
        <button type="submit" className="primary" disabled={busy || !name.trim() || !model}>
          {t('docs.create')}
        </button>
      </div>
    </form>
  );
}
