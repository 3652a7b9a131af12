import { useId, useState } from 'react';
import { errorText } from '../../api/client';
import { collections } from '../../api/collections';
import { ErrorText } from '../../components/Feedback';
import { useI18n } from '../../i18n';
import { count } from '../../lib/docs';

interface Props {
  collectionId: number;
  disabled: boolean;
  onAdded: () => void;
}

/** Paste text as a document: a title and the text, added with POST …/documents {name, text}. */
export function PasteText({ collectionId, disabled, onAdded }: Props) {
  const { t, fmt } = useI18n();
  const nameId = useId();
  const textId = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState('');
  const [error, setError] = useState('');

  const submit = async () => {
    const title = name.trim();
    if (!title || !text.trim() || sending) return;
    setSending(true);
    setError('');
    setResult('');
    try {
      const r = await collections.addText(collectionId, title, text);
      setResult(r.status === 'unchanged' ? t('docs.pasteUnchanged', { name: title }) : t('docs.pasteAdded', { name: title, passages: count(t, fmt, r.passages, 'passages') }));
      setName('');
      setText('');
      onAdded();
    } catch (e) {
      setError(errorText(e)); // the text stays, so nothing typed is lost
    } finally {
      setSending(false);
    }
  };

  if (!open) {
    return (
      <div className="row paste-open">
        <button type="button" className="secondary small" onClick={() => setOpen(true)}>
          {t('docs.paste')}
        </button>
        {result && (
          <p className="small" role="status">
            {result}
          </p>
        )}
      </div>
    );
  }
  return (
    <form
      className="paste-form"
      aria-label={t('docs.paste')}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor={nameId} className="small folder-label">
        {t('docs.pasteName')}
      </label>
      <input id={nameId} className="grow" value={name} placeholder={t('docs.pasteNamePlaceholder')} maxLength={200} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      <label htmlFor={textId} className="small folder-label">
        {t('docs.pasteText')}
      </label>
      <textarea id={textId} rows={6} value={text} placeholder={t('docs.pastePlaceholder')} onChange={(e) => setText(e.target.value)} />
      <div className="row">
        <p className="muted small grow">{t('docs.pasteHint')}</p>
        <button type="button" className="secondary small" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary small" disabled={disabled || sending || !name.trim() || !text.trim()}>
          {t('docs.addText')}
        </button>
      </div>
      {result && (
        <p className="small" role="status">
          {result}
        </p>
      )}
      <ErrorText error={error} />
    </form>
  );
}
