// What every page of the gateway shares: escaping, the document shell (one stylesheet, the icon, no
// external assets) and tables that turn into stacked cards on a phone instead of scrolling sideways.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escaped HTML: what the helpers below take, so a raw string cannot slip into a page unescaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A template tag: interpolated strings and numbers are escaped, Html values and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

const STYLE = [
  '*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}',
  'body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f4f5f7}',
  'main{max-width:72rem;margin:0 auto;padding:1rem}a{color:#1d4e89}h1{font-size:1.5rem;margin:.25rem 0 1rem}',
  'h2{font-size:1.1rem;margin:1.5rem 0 .5rem}small,.muted{color:#5b6472}code{font-size:.9em;overflow-wrap:anywhere}',
  'input,button{font:inherit;padding:.55rem .7rem;border:1px solid #aab3c0;border-radius:6px;width:100%}',
  'button{background:#1d4e89;color:#fff;border-color:#1d4e89;cursor:pointer}',
  '.login{max-width:22rem;margin:10vh auto 0;background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:1.5rem}',
  '.login form{display:flex;flex-direction:column;gap:.35rem}.login label{font-weight:600;margin-top:.6rem}.login button{margin-top:1.2rem}',
  '.error{color:#a40000}.login .error{margin:.8rem 0 0}',
  '.bar{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center;background:#1d4e89;color:#fff;padding:.6rem 1rem}',
  '.bar a{color:#fff}.bar nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem;flex:1}.bar form{margin:0 0 0 auto;display:flex;gap:.6rem;align-items:center}',
  '.bar button{width:auto;padding:.2rem .7rem;background:#fff;color:#1d4e89}',
  'table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}',
  'th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e6e8ec;vertical-align:top;overflow-wrap:break-word}',
  'th{background:#eef0f3;font-weight:600}.ok{color:#11703a}.bad{color:#a40000}',
  // The task console: controls in a wrapping row, the log wrapped (never wider than the window).
  '.controls,.tabs{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}.controls button,.tabs button{width:auto}',
  '.controls input{width:6rem}.tabs button[aria-pressed=false]{background:#fff;color:#1d4e89}',
  'pre.log{background:#10141c;color:#e6e8ec;padding:.6rem;border-radius:6px;margin:0;min-height:6rem;max-height:60vh;overflow-y:auto;',
  'white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem}',
  // A phone: the menu on a line of its own; each table row a card, each cell on its own line with
  // its column's name, long ids broken anywhere rather than pushing the page sideways.
  '@media (max-width:40rem){.bar nav{order:3;flex-basis:100%}thead{display:none}table,tbody,tr,td{display:block;width:100%}',
  'table{border:0;background:none}tr{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:0 0 .6rem;padding:.3rem 0}',
  'td{border:0;padding:.15rem .7rem;overflow-wrap:anywhere}td:empty{display:none}',
  'td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#5b6472}}',
].join('');

/** A whole document. `script` is inline JavaScript the page needs (none of it from elsewhere). */
export function htmlPage(title: string, body: Html, script?: string): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><link rel="icon" href="/favicon.ico"><style>${STYLE}</style></head>` +
    `<body>${body.text}${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/** A table whose rows become labelled cards on a narrow screen. Cells are Html or escaped text. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[], empty: string): Html {
  const head = html`<thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>`;
  const body = rows.length
    ? rows.map((cells) => html`<tr>${cells.map((cell, i) => html`<td data-label="${headers[i] ?? ''}">${cell}</td>`)}</tr>`)
    : html`<tr><td colspan="${headers.length}" class="muted">${empty}</td></tr>`;
  return html`<table>${head}<tbody>${body}</tbody></table>`;
}
