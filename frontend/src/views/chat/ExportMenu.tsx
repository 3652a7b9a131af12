import { useState } from 'react';
import type { Chat } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { download, fileName, toJSON, toMarkdown } from '../../lib/chatFile';

/** The chat header's Export button: the chat as Markdown (to read) or JSON (to import). */
export function ExportMenu({ chat }: { chat: Chat }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <div
      className="menu-wrap"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <button type="button" className="icon-button" aria-label={t('chat.export')} title={t('chat.export')} aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <Icon name="download" />
      </button>
      {open && (
        <div className="menu" role="group" aria-label={t('chat.export')}>
          <button
            type="button"
            className="text-button small"
            onClick={() => {
              download(fileName(chat, 'md'), toMarkdown(chat, { you: t('chat.you'), system: t('chat.systemPrompt') }), 'text/markdown');
              setOpen(false);
            }}
          >
            {t('chat.exportMarkdown')}
          </button>
          <button
            type="button"
            className="text-button small"
            onClick={() => {
              download(fileName(chat, 'json'), toJSON(chat), 'application/json');
              setOpen(false);
            }}
          >
            {t('chat.exportJSON')}
          </button>
        </div>
      )}
    </div>
  );
}
