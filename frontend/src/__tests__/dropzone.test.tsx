import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { DropZone } from '../components/DropZone';

function drop(zone: Element, files: File[]) {
  fireEvent.dragOver(zone, { dataTransfer: { files } });
  fireEvent.drop(zone, { dataTransfer: { files } });
}

describe('DropZone', () => {
  it('takes dropped and picked files, and none while disabled', () => {
    const onFiles = vi.fn();
    const a = new File(['a'], 'a.md');
    const b = new File(['b'], 'b.md');
    const { container, rerender } = render(<DropZone text="Drop files here" choose="Choose files" disabled={false} multiple onFiles={onFiles} />);
    const zone = container.querySelector('.dropzone')!;
    fireEvent.dragOver(zone, { dataTransfer: { files: [] } });
    expect(zone.classList.contains('over')).toBe(true);
    fireEvent.dragLeave(zone);
    expect(zone.classList.contains('over')).toBe(false);
    drop(zone, [a, b]);
    expect(onFiles).toHaveBeenLastCalledWith([a, b]);
    expect(zone.classList.contains('over')).toBe(false);
    const input = zone.querySelector<HTMLInputElement>('input[type=file]')!;
    expect(input.multiple).toBe(true);
    fireEvent.change(input, { target: { files: [b] } });
    expect(onFiles).toHaveBeenLastCalledWith([b]);

    rerender(<DropZone text="Drop files here" choose="Choose files" disabled multiple onFiles={onFiles} />);
    drop(zone, [a]);
    expect(onFiles).toHaveBeenCalledTimes(2);
    expect((screen.getByRole('button', { name: 'Choose files' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
