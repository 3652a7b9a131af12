import type { Collection, CollectionStatus } from '../../api/types';
import { useI18n } from '../../i18n';
import { count } from '../../lib/docs';

const tone: Record<CollectionStatus, string> = {
  empty: '',
  ready: 'ok',
  needs_reindex: 'warn',
  indexing: 'accent',
};

export function StatusBadge({ status }: { status: CollectionStatus }) {
  const { t } = useI18n();
  return (
    <span className={`badge ${tone[status] ?? ''}`} data-status={status}>
      {t(`docs.status.${status}`)}
    </span>
  );
}

/** "3 documents · 42 passages · bge-m3" */
export function CollectionFacts({ c }: { c: Collection }) {
  const { t, fmt } = useI18n();
  return (
    <span className="muted small">
      {[count(t, fmt, c.documents, 'documents'), count(t, fmt, c.passages, 'passages'), c.embedding_model].join(' · ')}
    </span>
  );
}
