// Line icons drawn for Perch on a 16×16 grid, stroked with currentColor so they follow the
// theme. Decorative: the button around each one carries the label.

const paths = {
  plus: 'M8 3v10M3 8h10',
  history: 'M2.5 4h11M2.5 8h11M2.5 12h7',
  sliders: 'M3 4h6M12 4h1M3 12h1M7 12h6M10.5 2.5v3M5.5 10.5v3',
  send: 'M8 13V3.5M3.5 8 8 3.5 12.5 8',
  stop: 'M5 5h6v6H5z',
  copy: 'M5.5 5.5h7v7h-7zM3.5 10.5v-7h7',
  check: 'M3.5 8.5l3 3 6-7',
  edit: 'M10.5 3l2.5 2.5-7 7H3.5V10z',
  refresh: 'M12.5 5.5A5 5 0 1 0 13 9M12.5 2.5v3h-3',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5',
  close: 'M4 4l8 8M12 4l-8 8',
  star: 'M8 2.5l1.7 3.5 3.8.5-2.8 2.6.7 3.8L8 11.1l-3.4 1.8.7-3.8-2.8-2.6 3.8-.5z',
  download: 'M8 2.5V10M4.5 6.5 8 10l3.5-3.5M3 13h10',
  pause: 'M5.5 3.5v9M10.5 3.5v9',
  play: 'M5 3.5v9l7-4.5z',
  chevron: 'M6 4l4 4-4 4',
  back: 'M10 4 6 8l4 4',
  search: 'M7 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM10.5 10.5 14 14',
  file: 'M4 2h5.5L12 4.5V14H4zM9.5 2v2.5H12',
  key: 'M6 10a3.5 3.5 0 1 1 2.5-1l5 5M11 12l1.5-1.5',
  detach: 'M9.5 2.5h4v4M13.5 2.5 8 8M11.5 9v4.5h-9v-9H7',
  attach: 'M8 8l5.5-5.5M8 8V4M8 8h4M11.5 9v4.5h-9v-9H7',
  pin: 'M6 2.5h4M6.5 2.5v4L4.5 9h7l-2-2.5v-4M8 9v4.5',
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  const fill = name === 'stop' || name === 'play' ? 'currentColor' : 'none';
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      aria-hidden="true"
      focusable="false"
      fill={fill}
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={paths[name]} />
    </svg>
  );
}
