import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n';
import { copyText } from '../lib/clipboard';
import { Icon } from './Icon';

/** A button that copies text and says so for a moment. */
export function CopyButton({ text, label, showText = false }: { text: string; label?: string; showText?: boolean }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const name = copied ? t('common.copied') : (label ?? t('common.copy'));
  return (
    <button
      type="button"
      className="icon-button copy-button"
      aria-label={name}
      title={name}
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          window.clearTimeout(timer.current);
          timer.current = window.setTimeout(() => setCopied(false), 1500);
        }
      }}
    >
      <Icon name={copied ? 'check' : 'copy'} size={14} />
      {showText && <span>{name}</span>}
    </button>
  );
}
