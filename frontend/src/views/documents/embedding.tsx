import { useEffect, useState } from 'react';
import { catalog } from '../../api/models';
import type { CatalogModel, Model } from '../../api/types';
import { useI18n } from '../../i18n';

/** The catalog's task tag of the embedding model recommended for Documents. */
export const DOCUMENTS_TAG = 'documents';

/** The catalog entry recommended for Documents: null when the catalog has none (or no catalog). */
export function useRecommendedEmbedding(enabled: boolean): CatalogModel | null {
  const [rec, setRec] = useState<CatalogModel | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    catalog
      .list(DOCUMENTS_TAG)
      .then((models) => live && setRec(models.find((m) => m.tags?.includes(DOCUMENTS_TAG) && m.tags.includes('embedding')) ?? null))
      .catch(() => live && setRec(null));
    return () => {
      live = false;
    };
  }, [enabled]);
  return rec;
}

/** The installed copy of a catalog entry: pulled by one of its references, or a file named after it. */
export function installedCopy(models: Model[], entry: CatalogModel | null): Model | undefined {
  if (!entry) return undefined;
  const refs = entry.quants.map((q) => q.ref.toLowerCase());
  const id = entry.id.toLowerCase();
  return models.find((m) => refs.includes(m.name.toLowerCase())) ?? models.find((m) => m.name.toLowerCase().includes(id));
}

/** The model a new collection starts with: the recommended one when installed, else any embedding model. */
export function defaultEmbedding(models: Model[], entry: CatalogModel | null): string {
  return installedCopy(models, entry)?.name ?? models.find((m) => m.embedding)?.name ?? '';
}

interface SelectProps {
  id?: string;
  models: Model[];
  value: string;
  onChange: (name: string) => void;
  recommended?: string;
}

/** Installed models, embedding models first; chat models can embed too, but worse. */
export function EmbeddingSelect({ id, models, value, onChange, recommended }: SelectProps) {
  const { t } = useI18n();
  const embedding = models.filter((m) => m.embedding);
  const chat = models.filter((m) => !m.embedding);
  const known = models.some((m) => m.name === value);
  const label = (name: string) => (name === recommended ? t('docs.recommendedOption', { name }) : name);
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      {!value && <option value="">{t('docs.chooseModel')}</option>}
      {value && !known && <option value={value}>{value}</option>}
      {embedding.length > 0 && (
        <optgroup label={t('docs.embeddingModels')}>
          {embedding.map((m) => (
            <option key={m.name} value={m.name}>
              {label(m.name)}
            </option>
          ))}
        </optgroup>
      )}
      {chat.length > 0 && (
        <optgroup label={t('docs.chatModels')}>
          {chat.map((m) => (
            <option key={m.name} value={m.name}>
              {label(m.name)}
            </option>
          ))}
        </optgroup>
      )}
    </select>
  );
}
