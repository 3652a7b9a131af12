import { useRef, useState } from 'react';
import { Icon } from './Icon';

interface Props {
  /** What to drop here. */
  text: string;
  textClassName?: string;
  /** The label of the button that opens the file picker. */
  choose: string;
  /** Picking and dropping are ignored while set (an upload is going). */
  disabled: boolean;
  multiple?: boolean;
  accept?: string;
  onFiles: (files: File[]) => void;
}

/** A place to drop files, with a button that opens the file picker instead. */
export function DropZone({ text, textClassName, choose, disabled, multiple, accept, onFiles }: Props) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!disabled) onFiles([...e.dataTransfer.files]);
      }}
    >
      <Icon name="file" size={20} />
      <span className={textClassName}>{text}</span>
      <button type="button" className="secondary small" onClick={() => input.current?.click()} disabled={disabled}>
        {choose}
      </button>
      <input
        ref={input}
        type="file"
        multiple={multiple}
        accept={accept}
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          // Cleared so that picking the same file again is a change too.
          e.target.value = '';
          onFiles(files);
        }}
      />
    </div>
  );
}
