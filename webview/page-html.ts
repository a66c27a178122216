/**
 * A webview page with nothing loaded from anywhere: its style sheet and its script inline, each allowed by
 * the page's nonce alone (Show Summary's and Compare with…'s pages).
 */

/** Text or an attribute value as HTML writes it: every page of Stride's escapes with this. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pageHtml(o: { nonce: string; title: string; style: string; body: string; script: string; bodyClass?: string }): string {
  const nonce = esc(o.nonce);
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style nonce="${nonce}">
${o.style.trim()}
</style>
</head>
<body${o.bodyClass ? ` class="${esc(o.bodyClass)}"` : ''}>
${o.body.trim()}
<script nonce="${nonce}">
${o.script.trim()}
</script>
</body>
</html>
`;
}
