import { useState } from 'react';
import { useApp } from '../state';
import { CollectionDetail } from './documents/CollectionDetail';
import { CollectionList } from './documents/CollectionList';
import { installedCopy, useRecommendedEmbedding } from './documents/embedding';

/**
 * Documents: collections of files to chat with. A tab of its own rather than a panel of the
 * chat: adding a folder, watching it index and trying searches need the popover's full
 * height, and a run keeps going while the chat is shown (the view stays mounted).
 */
export function DocumentsView({ collectionId, active }: { collectionId: number | undefined; active: boolean }) {
  const { status, models, navigate } = useApp();
  const recommended = useRecommendedEmbedding(!!status?.features.catalog);
  // The API's warning about a new collection's model, shown once it opens.
  const [warning, setWarning] = useState<{ id: number; text: string } | null>(null);

  if (collectionId) {
    return (
      <CollectionDetail
        key={collectionId}
        id={collectionId}
        active={active}
        warning={warning?.id === collectionId ? warning.text : ''}
        recommended={installedCopy(models, recommended)?.name}
        onDismissWarning={() => setWarning(null)}
      />
    );
  }
  return (
    <CollectionList
      recommended={recommended}
      onCreated={(c) => {
        setWarning(c.warning ? { id: c.id, text: c.warning } : null);
        navigate({ view: 'documents', collectionId: c.id });
      }}
    />
  );
}
