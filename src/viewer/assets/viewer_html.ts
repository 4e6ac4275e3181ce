/**
 * The viewer's page: a static shell, no inline script or style (the server's
 * Content-Security-Policy allows only its own `/viewer.js` and `/viewer.css`).
 *
 * @module
 */

/** The HTML of `/`; `viewer.js` fills it from the JSON API. */
export const VIEWER_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>journal-sink viewer</title>
<link rel="stylesheet" href="/viewer.css">
<script src="/viewer.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">journal-sink</a>
  <span id="crumb" class="crumb"></span>
  <span id="live" class="live" title="New records appear within a second">live</span>
</header>
<main id="app" tabindex="-1"><p class="empty">Loading…</p></main>
</body>
</html>
`;
