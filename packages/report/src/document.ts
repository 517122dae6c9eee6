/**
 * The report documents: one self-contained HTML page and a Markdown summary with the same
 * tables that links the figure files. Pure functions from the report's content to text.
 *
 * The page needs no network and no other file: each figure is its interactive Vega-Lite
 * spec (interactive.ts), drawn by the vega-embed bundle inlined once in the page (viewer.ts),
 * with the static PNG inlined as what shows until it is drawn — and instead of it where
 * scripts do not run or the bundle could not be made.
 */
import type { TopLevelSpec } from "vega-lite"
import type { Figure } from "./figures.js"
import type { Table } from "./tables.js"

/** A figure with its rendered files (paths relative to the report folder). */
export interface FigureOutput {
  readonly figure: Figure
  readonly files?: {
    readonly png: string
    readonly svg: string
    readonly spec: string
    /** PNG bytes, inlined in the HTML */
    readonly pngData: Uint8Array
    readonly width: number
    readonly height: number
  }
  /** the spec the page draws interactively (absent: the page shows the PNG) */
  readonly interactive?: TopLevelSpec
  /** rendering problems (warnings of Vega-Lite/Vega, or why it failed) */
  readonly problems: ReadonlyArray<string>
}

/** What a report shows. */
export interface ReportContent {
  readonly title: string
  readonly description?: string
  /** lines shown first: how many cells are done, and what to do when the folder is incomplete */
  readonly status: ReadonlyArray<string>
  readonly figures: ReadonlyArray<FigureOutput>
  readonly tables: ReadonlyArray<Table>
  /** the vega-embed bundle (viewer.ts) that draws the interactive figures; absent: static page */
  readonly viewer?: string
}

/** Text safe inside an inline <script> (a `</script` in it would end the element). */
const scriptText = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--")

const escape = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** `code` spans of Markdown-ish text as <code>, the rest escaped. */
const inline = (s: string): string => escape(s).replace(/`([^`]+)`/g, (_, c: string) => `<code>${c}</code>`)

function htmlTable(t: Table): string {
  if (t.rows.length === 0)
    return `<section id="${escape(t.id)}">\n<h2>${escape(t.title)}</h2>\n<p class="note">${inline(t.note ?? "No rows.")}</p>\n</section>`
  const head = t.columns.some((c) => c !== "")
    ? `<thead><tr>${t.columns.map((c) => `<th>${escape(c)}</th>`).join("")}</tr></thead>`
    : ""
  const body = t.rows
    .map(
      (r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="first"' : ""}>${inline(c)}</td>`).join("")}</tr>`
    )
    .join("\n")
  return `<section id="${escape(t.id)}">
<h2>${escape(t.title)}</h2>
<div class="scroll"><table>${head}<tbody>
${body}
</tbody></table></div>
${t.note === undefined ? "" : `<p class="note">${inline(t.note)}</p>`}
</section>`
}

function htmlFigure(f: FigureOutput, live: boolean): string {
  const fig = f.figure
  const notes = [...fig.notes, ...f.problems].map((n) => `<li>${inline(n)}</li>`).join("")
  const img =
    f.files === undefined
      ? ""
      : `<img class="static" alt="${escape(fig.title)}" width="${f.files.width}" height="${f.files.height}" src="data:image/png;base64,${Buffer.from(f.files.pngData).toString("base64")}">`
  const body =
    f.files === undefined
      ? `<div class="missing">${inline(fig.missing ?? "Not rendered: " + f.problems.join("; "))}</div>`
      : live && f.interactive !== undefined
        ? `<div class="vis" data-figure="${escape(fig.id)}">${img}</div>\n<script type="application/json" id="spec-${escape(fig.id)}">${scriptText(JSON.stringify(f.interactive))}</script>`
        : img
  const links =
    f.files === undefined
      ? ""
      : ` Files: <a href="${escape(f.files.png)}">PNG</a>, <a href="${escape(f.files.svg)}">SVG</a>, <a href="${escape(f.files.spec)}">Vega-Lite spec</a>.`
  const hint =
    live && f.interactive !== undefined && f.files !== undefined
      ? ` Interactive: hover for values, click a legend entry to hide or show it, scroll to zoom, drag to pan, double-click to reset.`
      : ""
  return `<figure id="figure-${escape(fig.id)}">
<h2>${escape(fig.title)} <span class="tag">${escape(fig.id)} · ${escape(fig.plugin)}</span></h2>
${body}
<figcaption>${inline(fig.caption)}${hint}${links}${notes === "" ? "" : `<ul>${notes}</ul>`}</figcaption>
</figure>`
}

/** The self-contained HTML page. */
export function renderHtml(r: ReportContent): string {
  const figures =
    r.figures.length === 0
      ? `<div class="missing">The pipeline declares no figures (<code>report.plots</code> in pipeline.json is empty).</div>`
      : r.figures.map((f) => htmlFigure(f, r.viewer !== undefined)).join("\n")
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(r.title)}</title>
<style>
body { font-family: "DejaVu Sans", system-ui, sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.status { background: #f5f7fa; border-left: 4px solid #4a78b5; padding: 0.6em 1em; }
.status.warn { border-left-color: #d68a00; background: #fff8e8; }
.missing { border: 2px dashed #c9c9c9; color: #555; padding: 2em; text-align: center; background: #fafafa; }
figure { margin: 0 0 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; margin-top: 0.5em; }
.tag { font-size: 0.7em; color: #888; font-weight: normal; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.first { white-space: nowrap; }
.scroll { overflow-x: auto; }
.note { font-size: 0.9em; color: #555; }
code { background: #f3f3f3; padding: 0 0.2em; }
.vis { overflow-x: auto; }
.vis.live img.static { display: none; }
.vis.failed::after { content: "(interactive figure unavailable: showing the static one)"; color: #888; font-size: 0.85em; }
</style>
</head>
<body>
<h1>${escape(r.title)}</h1>
${r.description === undefined ? "" : `<p>${inline(r.description)}</p>`}
<div class="status${r.status.length > 1 ? " warn" : ""}">${r.status.map((s) => `<p>${inline(s)}</p>`).join("")}</div>
${figures}
${r.tables.map(htmlTable).join("\n")}
${r.viewer === undefined ? "" : viewerScripts(r.viewer)}
</body>
</html>
`
}

/**
 * The scripts that draw the figures: the inlined bundle, then one vega-embed per figure
 * (SVG renderer: crisp at any zoom). `window.gnlabViews` holds the Vega views by figure id
 * and `window.gnlabReady` settles when every figure is drawn (the browser test waits on it).
 */
function viewerScripts(bundle: string): string {
  const embed = `window.gnlabViews = {};
window.gnlabReady = Promise.all(Array.from(document.querySelectorAll(".vis[data-figure]"), function (el) {
  var id = el.getAttribute("data-figure");
  var spec = JSON.parse(document.getElementById("spec-" + id).textContent);
  var target = document.createElement("div");
  el.appendChild(target);
  return vegaEmbed(target, spec, {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false }
  }).then(function (result) {
    window.gnlabViews[id] = result.view;
    el.classList.add("live");
  }, function (error) {
    el.removeChild(target);
    el.classList.add("failed");
    console.warn("figure " + id + ": " + error);
  });
}));`
  return `<script>${scriptText(bundle)}</script>\n<script>\n${embed}\n</script>`
}

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

function mdTable(t: Table): string {
  if (t.rows.length === 0) return [`## ${t.title}`, "", t.note ?? "No rows.", ""].join("\n")
  const cols = t.columns.some((c) => c !== "") ? t.columns : t.columns.map(() => " ")
  return [
    `## ${t.title}`,
    "",
    `| ${cols.map(mdCell).join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
    ...(t.note === undefined ? [] : ["", t.note]),
    ""
  ].join("\n")
}

/** The Markdown summary (figures linked, not inlined). */
export function renderMarkdown(r: ReportContent): string {
  const out = [`# ${r.title}`, ""]
  if (r.description !== undefined) out.push(r.description, "")
  for (const s of r.status) out.push(`> ${s}`, ">")
  if (r.status.length > 0) out.pop()
  out.push("")
  if (r.figures.length === 0) out.push("The pipeline declares no figures.", "")
  for (const f of r.figures) {
    out.push(`## ${f.figure.title}`, "")
    if (f.files === undefined)
      out.push(`*${f.figure.missing ?? "Not rendered: " + f.problems.join("; ")}*`, "")
    else
      out.push(
        `![${f.figure.title}](${f.files.png})`,
        "",
        `${f.figure.caption} ([SVG](${f.files.svg}), [Vega-Lite spec](${f.files.spec}))`,
        ""
      )
    for (const n of [...f.figure.notes, ...f.problems]) out.push(`- ${n}`)
    if (f.figure.notes.length + f.problems.length > 0) out.push("")
  }
  for (const t of r.tables) out.push(mdTable(t))
  return out.join("\n")
}
