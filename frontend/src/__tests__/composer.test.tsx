import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Composer, isSendKey } from '../components/Composer';

function setup(value = 'hello') {
  const onSend = vi.fn();
  render(<Composer value={value} onChange={() => undefined} onSend={onSend} onStop={() => undefined} busy={false} disabled={false} placeholder="Message" />);
  return { onSend, box: screen.getByRole('textbox') };
}

describe('isSendKey', () => {
  const key = (over: Partial<{ key: string; shiftKey: boolean; altKey: boolean; keyCode: number; isComposing: boolean }>) => ({
    key: over.key ?? 'Enter',
    shiftKey: over.shiftKey ?? false,
    altKey: over.altKey ?? false,
    keyCode: over.keyCode ?? 13,
    nativeEvent: { isComposing: over.isComposing ?? false },
  });
  const cases: [string, ReturnType<typeof key>, boolean, number, boolean][] = [
    ['Enter sends', key({}), false, 10_000, true],
    ['Shift+Enter is a new line', key({ shiftKey: true }), false, 10_000, false],
    ['Alt+Enter is a new line', key({ altKey: true }), false, 10_000, false],
    ['another key', key({ key: 'a', keyCode: 65 }), false, 10_000, false],
    ['IME composing (isComposing)', key({ isComposing: true }), false, 10_000, false],
    ['IME composing (keyCode 229, WebKit)', key({ keyCode: 229 }), false, 10_000, false],
    ['between compositionstart and compositionend', key({}), true, 10_000, false],
    ['right after compositionend', key({}), false, 5, false],
  ];
  it.each(cases)('%s', (_name, ev, composing, since, want) => {
    expect(isSendKey(ev, composing, since)).toBe(want);
  });
});

describe('Composer', () => {
  it('sends on Enter', () => {
    const { onSend, box } = setup();
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    expect(onSend).toHaveBeenCalledTimes(1);
  });

  it('does not send on Shift+Enter', () => {
    const { onSend, box } = setup();
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13, shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
  });

  it('never sends while Korean is being composed', () => {
    const { onSend, box } = setup('안녕');
    fireEvent.compositionStart(box);
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 });
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13, isComposing: true });
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.compositionEnd(box);
    // The Enter that committed the syllable arrives right after compositionend in WebKit.
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    expect(onSend).not.toHaveBeenCalled();
  });

  it('sends on a later Enter once composition has ended', async () => {
    const { onSend, box } = setup('안녕');
    fireEvent.compositionStart(box);
    fireEvent.compositionEnd(box);
    await new Promise((r) => setTimeout(r, 50));
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    expect(onSend).toHaveBeenCalledTimes(1);
  });

  it('does not send empty text', () => {
    const { onSend, box } = setup('   ');
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
  });

  it('shows Stop while an answer is written', () => {
    const onStop = vi.fn();
    render(<Composer value="" onChange={() => undefined} onSend={() => undefined} onStop={onStop} busy disabled={false} placeholder="x" />);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(onStop).toHaveBeenCalled();
  });
});
