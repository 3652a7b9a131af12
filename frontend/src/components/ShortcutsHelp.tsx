import { useEffect, useRef } from 'react';
import { useI18n, type MessageKey } from '../i18n';
import { combo } from '../lib/shortcuts';

const rows: [string, MessageKey][] = [
  [combo('N'), 'keys.newChat'],
  [combo('K'), 'keys.search'],
  [`${combo('1')} … ${combo('6')}`, 'keys.tabs'],
  ['Enter', 'keys.send'],
  ['Shift+Enter', 'keys.newline'],
  ['Esc', 'keys.stop'],
  ['↑ ↓', 'keys.historyMove'],
  ['F2', 'keys.rename'],
  ['Delete', 'keys.delete'],
  [`${combo('/')}  ?`, 'keys.help'],
];

/** The sheet listing every keyboard shortcut (⌘/ or ?). */
export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div
      className="overlay"
      role="dialog"
      aria-modal="true"
      aria-labelledby="keys-title"
      onClick={onClose}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="card keys-card" onClick={(e) => e.stopPropagation()}>
        <h1 id="keys-title">{t('keys.title')}</h1>
        <table className="keys">
          <tbody>
            {rows.map(([k, label]) => (
              <tr key={label}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{t(label)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={close} type="button" className="primary small" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </div>
  );
}
