import type { Collection } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';

/** Says which collection the chat's answers cite, with a way to stop and a way to it. */
export function CollectionBar({ collection, onDetach, onManage }: { collection: Collection; onDetach: () => void; onManage: () => void }) {
  const { t } = useI18n();
  return (
    <div className="chat-docs small">
      <Icon name="file" size={13} />
      <span className="grow chat-docs-text">
        {t('chat.documentsFrom')}{' '}
        <button type="button" className="link-button" onClick={onManage} title={t('chat.documentsManage')}>
          {collection.name}
        </button>
      </span>
      <button type="button" className="icon-button" aria-label={t('chat.documentsDetach', { name: collection.name })} title={t('chat.documentsDetach', { name: collection.name })} onClick={onDetach}>
        <Icon name="close" size={12} />
      </button>
    </div>
  );
}
