import { memo, useState } from 'react';
import type { Message, Source, SourceSet, Stats } from '../api/types';
import { useI18n } from '../i18n';
import { Composer } from './Composer';
import { CopyButton } from './CopyButton';
import { Icon } from './Icon';
import { Markdown } from './Markdown';
import { Sources } from './Sources';

/** Speed and tokens of an answer; the prompt, cache and first-token figures are in the tooltip to keep the line short. */
export function StatsLine({ stats }: { stats: Stats }) {
  const { t, fmt } = useI18n();
  const parts: string[] = [];
  if (stats.tokens_per_s > 0) parts.push(t('chat.stat.speed', { n: fmt.number(stats.tokens_per_s, 1) }));
  parts.push(t('chat.stat.tokens', { n: fmt.number(stats.completion_tokens) }));
  const more = [...parts];
  if (stats.prompt_tokens > 0) more.push(t('chat.stat.prompt', { n: fmt.number(stats.prompt_tokens) }));
  if (stats.cached_tokens > 0) more.push(t('chat.stat.cached', { n: fmt.number(stats.cached_tokens) }));
  if (stats.ttft_ms > 0) more.push(t('chat.stat.ttft', { n: fmt.ms(stats.ttft_ms) }));
  if (stats.draft_tokens) more.push(t('chat.stat.drafts', { n: fmt.number(Math.round((100 * (stats.draft_accepted ?? 0)) / stats.draft_tokens)) }));
  return (
    <span className="stats" title={more.join(' · ')}>
      {parts.join(' · ')}
      <span className="visually-hidden"> · {more.slice(parts.length).join(' · ')}</span>
    </span>
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
  /** Called with the new text and the edited message's id. */
  onEdit?: (content: string, id: number) => void;
  /** What the chat's collection gave this answer (undefined: the chat cites none). */
  sources?: SourceSet;
  onOpenSource?: (s: Source) => void;
}

export const MessageItem = memo(function MessageItem({ message, streaming, canRegenerate, canEdit, onRegenerate, onEdit, sources, onOpenSource }: Props) {
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
              <button type="button" className="text-button" onClick={() => setEditing(false)}>
                {t('common.cancel')}
              </button>
              <button
                type="button"
                className="primary small"
                disabled={draft.trim() === ''}
                onClick={() => {
                  setEditing(false);
                  onEdit?.(draft, message.id);
                }}
              >
                {t('chat.resend')}
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
  return (
    <div className="message assistant" aria-busy={streaming || undefined}>
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
          {message.model && <span className="answer-model">{message.model}</span>}
          {message.stats && <StatsLine stats={message.stats} />}
          <span className="spacer" />
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
