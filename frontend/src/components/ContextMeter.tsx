import type { ContextMeter as Meter } from '../api/types';
import { useI18n } from '../i18n';

/** How much of the model's context this chat fills, and the KV memory that takes; for a model
 * on another machine (remote, its endpoint's name), where it runs: its memory is not this Mac's. */
export function ContextMeter({ meter, remote }: { meter: Meter | undefined; remote?: string }) {
  const { t, fmt } = useI18n();
  if (!meter) return null;
  const { used_tokens: used, context_tokens: total } = meter;
  const frac = total > 0 ? Math.min(1, used / total) : 0;
  const level = frac > 0.9 ? 'high' : frac > 0.7 ? 'mid' : 'low';
  const usedText =
    total > 0
      ? t('chat.contextUsed', { used: fmt.number(used), total: fmt.number(total) })
      : t('chat.contextUsedNoTotal', { used: fmt.number(used) });
  return (
    <div className="context-meter">
      <span className="context-label">{t('chat.context')}</span>
      <div
        className={`meter meter-${level}`}
        role="meter"
        aria-label={t('chat.context')}
        aria-valuemin={0}
        aria-valuemax={total || 1}
        aria-valuenow={Math.min(used, total || used)}
        aria-valuetext={usedText}
      >
        <div className="meter-fill" style={{ width: `${frac * 100}%` }} />
      </div>
      <span className="context-text">
        {usedText}
        {' · '}
        {remote ? t('chat.contextRemote', { endpoint: remote }) : meter.loaded ? t('chat.contextKV', { size: fmt.bytes(meter.kv_bytes) }) : t('chat.contextNotLoaded')}
      </span>
    </div>
  );
}
