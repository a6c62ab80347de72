/**
 * HTML built with a tagged template that escapes every interpolated value, so no text from
 * a record or a header can become markup. Nested templates and arrays of them pass through.
 */

/** Markup that is already safe (made by {@link html}). */
export class Html {
  /** @param text the markup. */
  constructor(readonly text: string) {}

  /** The markup. */
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` with `& < > " '` escaped, for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Markup from a template: values are escaped unless they are {@link Html} (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string);
  });
  return new Html(out);
}

/** A path from segments, each percent-encoded: `/c/<collection>/e/<entity>`. */
export function path(...segments: string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

/** `base` with query parameters (undefined ones left out). */
export function withQuery(
  base: string,
  params: Record<string, string | number | undefined>,
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text === '' ? base : `${base}?${text}`;
}

/** A whole page: title, breadcrumbs, content, under the server's stylesheet. */
export function page(title: string, crumbs: [string, string][], content: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · som</title>
        <link rel="stylesheet" href="/static/som.css" />
      </head>
      <body>
        <header>
          <nav aria-label="breadcrumbs">
            <a href="/">som</a>
            ${crumbs.map(([label, href]) => html` / <a href="${href}">${label}</a>`)}
          </nav>
        </header>
        <main>
          <h1>${title}</h1>
          ${content}
        </main>
      </body>
    </html> `.text;
}
