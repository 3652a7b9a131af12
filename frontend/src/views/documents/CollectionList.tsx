import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { collections } from '../../api/collections';
import type { CatalogModel, Collection } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { hashOf, useApp } from '../../state';
import { CollectionForm } from './CollectionForm';
import { CollectionFacts, StatusBadge } from './StatusBadge';

interface Props {
  recommended: CatalogModel | null;
  /** A collection was created: it opens, with the API's warning if any. */
  onCreated: (c: Collection) => void;
}

/** Every collection, with its status and counts, and the form for a new one. */
export function CollectionList({ recommended, onCreated }: Props) {
  const { t } = useI18n();
  const { models, navigate } = useApp();
  const [list, setList] = useState<Collection[] | null>(null);
  const [error, setError] = useState<unknown>('');
  const [creating, setCreating] = useState(false);

  const load = useCallback(() => {
    collections
      .list()
      .then((l) => {
        setList(l);
        setError('');
      })
      .catch((e: unknown) => setError(e));
  }, []);
  useEffect(load, [load]);

  const empty = list !== null && list.length === 0;
  return (
    <div className="scroll-view documents-view">
      <section className="section" aria-labelledby="docs-title">
        <div className="section-title-row">
          <h1 id="docs-title" className="section-title">
            {t('docs.title')}
          </h1>
          {!creating && !empty && (
            <button type="button" className="secondary small" onClick={() => setCreating(true)}>
              <Icon name="plus" size={13} />
              {t('docs.newCollection')}
            </button>
          )}
        </div>
        <p className="muted small intro">{t('docs.intro')}</p>
        {(creating || empty) && (
          <CollectionForm models={models} recommended={recommended} onCreated={onCreated} onCancel={empty ? undefined : () => setCreating(false)} />
        )}
        <ErrorMessage error={error} className="error small" />
        {list === null && !error && <p className="muted small">{t('common.loading')}</p>}
        {list && list.length > 0 && (
          <ul className="collection-list">
            {list.map((c) => (
              <li key={c.id}>
                <a
                  className="collection-row"
                  href={hashOf({ view: 'documents', collectionId: c.id })}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ view: 'documents', collectionId: c.id });
                  }}
                >
                  <span className="collection-name-line">
                    <strong className="collection-name">{c.name}</strong>
                    <StatusBadge status={c.status} />
                  </span>
                  <CollectionFacts c={c} />
                  <Icon name="chevron" size={14} />
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
