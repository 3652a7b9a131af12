import { useEffect, useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { tokens } from '../api/tokens';
import type { TokenizeResult } from '../api/types';
import { ModelSelect } from '../components/ModelSelect';
import { groupTokens } from '../lib/tokens';
import { useI18n } from '../i18n';
import { useApp } from '../state';
import { Compare } from './tokens/Compare';

const SAMPLES = {
  en: 'The quick brown fox jumps over the lazy dog.',
  ko: '다람쥐 헌 쳇바퀴에 타고파. 오늘 날씨가 정말 좋네요!',
};

/** Makes invisible characters visible in a chip: spaces as ·, newlines as ↵, tabs as →. */
export function showPiece(piece: string): string {
  return piece.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→') || '∅';
}

export function TokensView() {
  const { t, fmt } = useI18n();
  const { models, status, settings } = useApp();
  const usable = models.filter((m) => !m.embedding && !m.remote); // tokenizing works on this Mac's models only
  const [model, setModel] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState<TokenizeResult | null>(null);
  const [error, setError] = useState<unknown>('');
  const [busy, setBusy] = useState(false);
  // The default model, else one already loaded (tokenizing it costs nothing), else the first.
  const chosen =
    model || settings?.settings.default_model || status?.default_model || usable.find((m) => m.loaded)?.name || usable[0]?.name || '';

  useEffect(() => {
    if (!chosen || !text) {
      setResult(null);
      setError('');
      return;
    }
    const ctrl = new AbortController();
    const timer = window.setTimeout(() => {
      setBusy(true);
      tokens
        .tokenize(chosen, text, ctrl.signal)
        .then((r) => {
          setResult(r);
          setError('');
        })
        .catch((e: unknown) => {
          if (!ctrl.signal.aborted) setError(e);
        })
        .finally(() => {
          if (!ctrl.signal.aborted) setBusy(false);
        });
    }, 250);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [chosen, text]);

  return (
    <div className="scroll-view tokens-view">
      <div className="section">
        <h1 className="section-title">{t('tokens.title')}</h1>
        <div className="row">
          <label className="field grow">
            <span>{t('tokens.model')}</span>
            <ModelSelect models={models} value={chosen} onChange={setModel} />
          </label>
        </div>
        <label className="field">
          <span>{t('tokens.text')}</span>
          <textarea rows={4} value={text} placeholder={t('tokens.placeholder')} onChange={(e) => setText(e.target.value)} />
        </label>
        <div className="row">
          <button type="button" className="text-button small" onClick={() => setText(SAMPLES.en)}>
            {t('tokens.sampleEn')}
          </button>
          <button type="button" className="text-button small" onClick={() => setText(SAMPLES.ko)}>
            {t('tokens.sampleKo')}
          </button>
          <span className="spacer" />
          <span className="muted small">{t('tokens.note')}</span>
        </div>
      </div>
      <div className="section">
        <ErrorMessage error={error} className="error small" />
        {result ? (
          <>
            <p className="token-stats" role="status" aria-busy={busy || undefined}>
              <strong>{t('tokens.count', { n: fmt.number(result.count) })}</strong>
              <span className="muted"> · {t('tokens.chars', { n: fmt.number(result.characters) })}</span>
              <span className="muted"> · {t('tokens.perChar', { n: fmt.number(result.tokens_per_char, 2) })}</span>
            </p>
            <ol className="chips" aria-label={t('tokens.listLabel')}>
              {groupTokens(result.tokens).map((g, i) =>
                g.char ? (
                  // Byte tokens that spell one character share a colour and carry it above.
                  <li key={i} className="chip-group" title={t('tokens.charBytes', { char: g.char, n: g.tokens.length })}>
                    <span className="group-char">{g.char}</span>
                    <span className="group-chips">
                      {g.tokens.map((tok, j) => (
                        <span key={j} className={`chip c${i % 6} bytes`}>
                          <span className="chip-piece">{showPiece(tok.piece)}</span>
                          <span className="chip-id">{tok.id}</span>
                        </span>
                      ))}
                    </span>
                  </li>
                ) : (
                  <li key={i} className={`chip c${i % 6}${g.tokens[0]?.bytes ? ' bytes' : ''}`} title={`#${g.tokens[0]?.id}`}>
                    <span className="chip-piece">{showPiece(g.tokens[0]?.piece ?? '')}</span>
                    <span className="chip-id">{g.tokens[0]?.id}</span>
                  </li>
                ),
              )}
            </ol>
          </>
        ) : (
          !error && <p className="muted small">{t('tokens.empty')}</p>
        )}
      </div>
      {chosen && <Compare base={chosen} text={text} models={models} fitOn={!!status?.features.fit} />}
    </div>
  );
}
