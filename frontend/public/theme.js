// Apply the last theme before the first paint, so a dark-mode user never sees a white flash
// while the settings load. A file, not an inline script, so the Content-Security-Policy can
// allow scripts from the server only.
try {
  var t = localStorage.getItem('perch.theme');
  // "System" is resolved here too: styles.css has one dark palette, under data-theme.
  if (t !== 'light' && t !== 'dark') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
} catch (e) {}
