import { useEffect, useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { useI18n } from '../i18n';
import { Icon } from './Icon';

/**
 * Whether a keydown in the composer should send. Enter sends and Shift+Enter is a new line,
 * but never while an input method is composing: a Korean (or Japanese, Chinese) IME uses
 * Enter to commit the syllable being typed. Browsers mark that keydown with isComposing, and
 * WebKit, which sends compositionend before the keydown, with keyCode 229; a keydown right
 * after compositionend is treated as part of it too.
 */
export function isSendKey(
  e: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'altKey' | 'keyCode'> & { nativeEvent?: { isComposing?: boolean } },
  composing: boolean,
  msSinceCompositionEnd: number,
): boolean {
  if (e.key !== 'Enter') return false;
  if (e.shiftKey || e.altKey) return false;
  if (composing || e.nativeEvent?.isComposing || e.keyCode === 229) return false;
  if (msSinceCompositionEnd < 30) return false;
  return true;
}

interface Props {
  value: string;
  onChange: (v: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  disabled: boolean;
  placeholder: string;
  /** Focuses the box each time it changes (not on 0): the chat just became ready. */
  focusToken?: number;
}

export function Composer({ value, onChange, onSend, onStop, busy, disabled, placeholder, focusToken = 0 }: Props) {
  const { t } = useI18n();
  const ref = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);
  const compositionEnd = useRef(0);

  useEffect(() => {
    if (focusToken) ref.current?.focus();
  }, [focusToken, disabled]);

  // Grow with the text up to about eight lines, then scroll.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
  }, [value, placeholder]);

  const canSend = !disabled && !busy && value.trim() !== '';
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const since = performance.now() - compositionEnd.current;
    if (!isSendKey(e, composing.current, since)) return;
    e.preventDefault();
    if (canSend) onSend();
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSend) onSend();
      }}
    >
      <textarea
        ref={ref}
        rows={1}
        value={value}
        aria-label={t('chat.inputLabel')}
        placeholder={placeholder}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={() => {
          composing.current = false;
          compositionEnd.current = performance.now();
        }}
      />
      {busy ? (
        <button type="button" className="send-button stop" onClick={onStop} aria-label={t('chat.stop')} title={`${t('chat.stop')} (Esc)`}>
          <Icon name="stop" size={14} />
        </button>
      ) : (
        <button type="submit" className="send-button" disabled={!canSend} aria-label={t('chat.send')} title={t('chat.send')}>
          <Icon name="send" size={16} />
        </button>
      )}
    </form>
  );
}
