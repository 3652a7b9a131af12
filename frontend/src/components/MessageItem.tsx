import { memo, useState } from 'react';
import type { Message, Source, SourceSet, Stats } from '../api/types';
import { useI18n } from '../i18n';
import { Composer } from './Composer';
import { CopyButton } from './CopyButton';
import { Icon } from './Icon';
import { Markdown } from './Markdown';
import { Sources } from './Sources';

/** What an answer cost, all on view: speed, tokens written, prompt (and cached) tokens, time to first token. */
export function StatsLine({ stats }: { stats: Stats }) {
  const { t, fmt } = useI18n();
  const parts: string[] = [];
  if (stats.tokens_per_s > 0) parts.push(t('chat.stat.speed', { n: fmt.number(stats.tokens_per_s, 1) }));
  parts.push(t('chat.stat.tokens', { n: fmt.number(stats.completion_tokens) }));
  if (stats.prompt_tokens > 0)
    parts.push(
      stats.cached_tokens > 0
        ? t('chat.stat.promptCached', { n: fmt.number(stats.prompt_tokens), c: fmt.number(stats.cached_tokens) })
        : t('chat.stat.prompt', { n: fmt.number(stats.prompt_tokens) }),
    );
  if (stats.ttft_ms > 0) parts.push(t('chat.stat.ttft', { n: fmt.ms(stats.ttft_ms) }));
  if (stats.draft_tokens) parts.push(t(draftsKey(stats.draft_source), { n: fmt.number(Math.round((100 * (stats.draft_accepted ?? 0)) / stats.draft_tokens)) }));
  return <span className="stats">{parts.join(' · ')}</span>;
}

/** The acceptance text for what made the guesses: a draft model, prompt lookup, or (answers saved before it was recorded) unsaid. */
function draftsKey(source?: string) {
  if (source === 'model') return 'chat.stat.draftsModel' as const;
  if (source === 'ngram') return 'chat.stat.draftsNgram' as const;
  return 'chat.stat.drafts' as const;
}

/** ‹ 1/2 ›: moves between the versions of a turn. */
function Versions({ message, onSelect, disabled }: { message: Message; onSelect?: (id: number) => void; disabled?: boolean }) {
  const { t } = useI18n();
  const v = message.versions;
  if (!v || v.length < 2) return null;
  const i = v.indexOf(message.id);
  const go = (j: number) => {
    const id = v[j];
    if (id !== undefined) onSelect?.(id);
  };
  return (
    <span className="versions" role="group" aria-label={t('chat.version', { i: i + 1, n: v.length })}>
      <button type="button" className="icon-button" aria-label={t('chat.versionPrev')} title={t('chat.versionPrev')} disabled={disabled || i <= 0} onClick={() => go(i - 1)}>
        <span aria-hidden="true">‹</span>
      </button>
      <span className="versions-count" aria-hidden="true">
        {i + 1}/{v.length}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t('chat.versionNext')}
        title={t('chat.versionNext')}
        disabled={disabled || i >= v.length - 1}
        onClick={() => go(i + 1)}
      >
        <span aria-hidden="true">›</span>
      </button>
    </span>
  );
}

/** Says that the earliest messages were left out of an answer's request to fit the context. */
export function DroppedNote({ n }: { n: number }) {
  const { t } = useI18n();
  return (
    <p className="dropped-note" role="note">
      {n === 1 ? t('chat.dropped1') : t('chat.dropped', { n })}
    </p>
  );
}

function Reasoning({ text, live }: { text: string; live: boolean }) {
  const { t } = useI18n();
  return (
    <details className="reasoning">
      <summary>{live ? t('chat.thinkingLive') : t('chat.thinking')}</summary>
      <div className="reasoning-text">{text}</div>
    </details>
  );
}

interface Props {
  message: Message;
  /** The answer is still being written. */
  streaming?: boolean;
  /** The last answer can be regenerated. */
  canRegenerate?: boolean;
  /** User messages can be edited while no answer is being written. */
  canEdit?: boolean;
  onRegenerate?: () => void;
  /** The answer was cut by the token limit and is the last: it can be continued. */
  canContinue?: boolean;
  onContinue?: (id: number) => void;
  /** Shows another version of this turn. */
  onSelectVersion?: (id: number) => void;
  /** Called with the new text and the edited message's id. */
  onEdit?: (content: string, id: number) => void;
  /** What the chat's collection gave this answer (undefined: the chat cites none). */
  sources?: SourceSet;
  onOpenSource?: (s: Source) => void;
}

export const MessageItem = memo(function MessageItem({
  message,
  streaming,
  canRegenerate,
  canEdit,
  onRegenerate,
  canContinue,
  onContinue,
  onSelectVersion,
  onEdit,
  sources,
  onOpenSource,
}: Props) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);

  if (message.role === 'user') {
    if (editing) {
      return (
        <div className="message user editing">
          <div className="edit-box" aria-label={t('chat.editLabel')} role="group">
            <Composer
              value={draft}
              onChange={setDraft}
              onSend={() => {
                setEditing(false);
                onEdit?.(draft, message.id);
              }}
              onStop={() => undefined}
              busy={false}
              disabled={false}
              placeholder={t('chat.editLabel')}
            />
            <div className="edit-actions">
              <p className="hint">{t('chat.editNote')}</p>
              <button type="button" className="text-button" onClick={() => setEditing(false)}>
                {t('common.cancel')}
              </button>
            </div>
          </div>
        </div>
      );
    }
    return (
      <div className="message user">
        {/* The bubble comes first for screen readers; CSS shows the actions to its left. */}
        <div className="bubble">{message.content}</div>
        <div className="message-actions">
          <Versions message={message} onSelect={onSelectVersion} disabled={!canEdit} />
          <CopyButton text={message.content} />
          {canEdit && (
            <button
              type="button"
              className="icon-button"
              aria-label={t('chat.edit')}
              title={t('chat.edit')}
              onClick={() => {
                setDraft(message.content);
                setEditing(true);
              }}
            >
              <Icon name="edit" size={14} />
            </button>
          )}
        </div>
      </div>
    );
  }

  const reasoning = message.reasoning ?? '';
  const cut = !streaming && message.finish_reason === 'length';
  return (
    <div className="message assistant" aria-busy={streaming || undefined}>
      {!!message.dropped && <DroppedNote n={message.dropped} />}
      {reasoning && <Reasoning text={reasoning} live={!!streaming && !message.content} />}
      {message.content ? (
        <Markdown text={message.content} streaming={streaming} />
      ) : streaming ? (
        <p className="writing">{reasoning ? t('chat.thinkingLive') : t('chat.writing')}</p>
      ) : null}
      {sources && <Sources set={sources} onOpen={(s) => onOpenSource?.(s)} />}
      {!streaming && (
        <div className="message-foot">
          {message.stopped && <span className="tag">{t('chat.stopped')}</span>}
          {cut && <span className="tag warn">{t('chat.cutOff')}</span>}
          {message.model && <span className="answer-model">{message.model}</span>}
          {message.stats && <StatsLine stats={message.stats} />}
          <span className="spacer" />
          <Versions message={message} onSelect={onSelectVersion} disabled={!canRegenerate && !canEdit} />
          {cut && canContinue && (
            <button type="button" className="text-button small continue" title={t('chat.continueHint')} onClick={() => onContinue?.(message.id)}>
              {t('chat.continue')}
            </button>
          )}
          {message.content && <CopyButton text={message.content} label={t('chat.copyAnswer')} />}
          {canRegenerate && (
            <button type="button" className="icon-button" aria-label={t('chat.regenerate')} title={t('chat.regenerate')} onClick={onRegenerate}>
              <Icon name="refresh" size={14} />
            </button>
          )}
        </div>
      )}
    </div>
  );
});
