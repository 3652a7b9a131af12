import { useState } from 'react';
import { errorText } from '../../api/client';
import type { Collection, Model, Params } from '../../api/types';
import { ModelSelect } from '../../components/ModelSelect';
import { useI18n } from '../../i18n';
import { ErrorText, SaveStatus } from '../../components/Feedback';

export interface ChatSetup {
  model: string;
  system: string;
  params: Params;
  /** The collection whose documents answers cite (null: none). */
  collection: number | null;
}

interface Props {
  value: ChatSetup;
  models: Model[];
  /** Collections to answer from; undefined hides the choice (no Documents in this build). */
  collections?: Collection[];
  onSave: (v: ChatSetup) => Promise<void>;
  onClose: () => void;
}

function numberOrUndefined(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** The smallest and largest context a chat may ask for (the server's limits). */
const MIN_CTX = 256;
const MAX_CTX = 1 << 22;

/** Whether n is a context the server accepts (unset: the model's own). */
function validContext(n: number | undefined): boolean {
  return n === undefined || n === 0 || (Number.isInteger(n) && n >= MIN_CTX && n <= MAX_CTX);
}

/** A chat's model, system prompt and sampling parameters. */
export function ChatOptions({ value, models, collections, onSave, onClose }: Props) {
  const { t } = useI18n();
  // Only the fields changed here are kept: the rest follow value, so a model picked in
  // the chat's header while the sheet is open is not saved back over.
  const [edits, setEdits] = useState<Partial<ChatSetup>>({});
  const [state, setState] = useState<'idle' | 'saving' | 'saved'>('idle');
  const [error, setError] = useState('');
  const v: ChatSetup = { ...value, ...edits };
  const p = v.params;
  const edit = (e: Partial<ChatSetup>) => {
    setEdits((prev) => ({ ...prev, ...e }));
    setState('idle');
  };
  const setParam = <K extends keyof Params>(k: K, val: Params[K] | undefined) => {
    const next: Params = { ...p };
    if (val === undefined) delete next[k];
    else next[k] = val;
    edit({ params: next });
  };

  return (
    <form
      className="sheet chat-options"
      aria-label={t('chat.options')}
      onSubmit={(e) => {
        e.preventDefault();
        if (!validContext(p.num_ctx)) {
          setError(t('chat.numCtxInvalid', { min: MIN_CTX, max: MAX_CTX }));
          return;
        }
        setState('saving');
        setError('');
        onSave(v)
          .then(() => setState('saved'))
          .catch((err: unknown) => {
            setState('idle');
            setError(errorText(err));
          });
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <label className="field">
        <span>{t('chat.model')}</span>
        <ModelSelect models={models} value={v.model} onChange={(model) => edit({ model })} />
      </label>
      {collections && (
        <label className="field">
          <span>{t('chat.documents')}</span>
          <select
            value={v.collection ?? ''}
            onChange={(e) => edit({ collection: e.target.value ? Number(e.target.value) : null })}
          >
            <option value="">{t('chat.documentsNone')}</option>
            {v.collection !== null && !collections.some((c) => c.id === v.collection) && <option value={v.collection}>…</option>}
            {collections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.status === 'ready' ? c.name : `${c.name} (${t(`docs.status.${c.status}`)})`}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="field">
        <span>{t('chat.systemPrompt')}</span>
        <textarea
          rows={3}
          value={v.system}
          placeholder={t('chat.systemPlaceholder')}
          onChange={(e) => edit({ system: e.target.value })}
        />
      </label>
      <fieldset className="params">
        <legend>{t('chat.parameters')}</legend>
        <label className="field inline">
          <span>{t('chat.temperature')}</span>
          <input
            type="range"
            min={0}
            max={2}
            step={0.05}
            value={p.temperature ?? 0.8}
            onChange={(e) => setParam('temperature', Number(e.target.value))}
          />
          <output>{p.temperature === undefined ? t('chat.paramAuto') : p.temperature.toFixed(2)}</output>
        </label>
        <label className="field inline">
          <span>{t('chat.topP')}</span>
          <input type="range" min={0} max={1} step={0.01} value={p.top_p ?? 0.9} onChange={(e) => setParam('top_p', Number(e.target.value))} />
          <output>{p.top_p === undefined ? t('chat.paramAuto') : p.top_p.toFixed(2)}</output>
        </label>
        <div className="grid3">
          <label className="field">
            <span>{t('chat.topK')}</span>
            <input
              type="number"
              min={0}
              max={1000}
              placeholder={t('chat.paramAuto')}
              value={p.top_k ?? ''}
              onChange={(e) => setParam('top_k', numberOrUndefined(e.target.value))}
            />
          </label>
          <label className="field">
            <span>{t('chat.maxTokens')}</span>
            <input
              type="number"
              min={1}
              placeholder={t('chat.paramAuto')}
              value={p.max_tokens ?? ''}
              onChange={(e) => setParam('max_tokens', numberOrUndefined(e.target.value))}
            />
          </label>
          <label className="field">
            <span>{t('chat.seed')}</span>
            <input
              type="number"
              placeholder={t('chat.paramAuto')}
              value={p.seed ?? ''}
              onChange={(e) => setParam('seed', numberOrUndefined(e.target.value))}
            />
          </label>
        </div>
        <div className="field">
          <label htmlFor="chat-num-ctx">{t('chat.numCtx')}</label>
          <input
            id="chat-num-ctx"
            type="number"
            min={MIN_CTX}
            max={MAX_CTX}
            step={256}
            placeholder={t('chat.numCtxModel')}
            value={p.num_ctx ?? ''}
            aria-describedby="chat-num-ctx-hint"
            aria-invalid={!validContext(p.num_ctx)}
            onChange={(e) => setParam('num_ctx', numberOrUndefined(e.target.value))}
          />
          <span id="chat-num-ctx-hint" className="muted small">
            {t('chat.numCtxHint')}
          </span>
        </div>
        <label className="field inline">
          <span>{t('chat.think')}</span>
          <select
            value={p.think === undefined ? 'auto' : p.think ? 'on' : 'off'}
            onChange={(e) => setParam('think', e.target.value === 'auto' ? undefined : e.target.value === 'on')}
          >
            <option value="auto">{t('chat.thinkAuto')}</option>
            <option value="on">{t('chat.thinkOn')}</option>
            <option value="off">{t('chat.thinkOff')}</option>
          </select>
        </label>
      </fieldset>
      <ErrorText error={error} />
      <div className="row end">
        <SaveStatus state={state} />
        <button type="button" className="text-button" onClick={onClose}>
          {t('common.close')}
        </button>
        <button type="submit" className="primary">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
