extension HTMLRenderer {
    /// The page's inline style sheet: one readable column (at most ~860 px) that reflows on
    /// a phone, tables and charts that scroll sideways instead of overflowing, and a print
    /// layout that expands the collapsed sources.
    static let style = """
    :root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-code: #f6f8fa; }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; }
    body { margin: 0; color: var(--fg); background: #fff;
      font: 16px/1.55 -apple-system, "Segoe UI", system-ui, Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 860px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
    header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; }
    h1 { font-size: 1.9rem; line-height: 1.2; margin: .5rem 0; overflow-wrap: anywhere; }
    h2 { font-size: 1.4rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2rem; }
    h3 { font-size: 1.15rem; margin: 1.5rem 0 .25rem; overflow-wrap: anywhere; }
    h4 { font-size: 1rem; margin: 1rem 0 .4rem; overflow-wrap: anywhere; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
    code { background: var(--bg-code); border-radius: 4px; padding: .1em .3em; overflow-wrap: anywhere; }
    pre { background: var(--bg-code); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto; line-height: 1.4; }
    pre code { background: none; padding: 0; overflow-wrap: normal; }
    pre.sample { white-space: pre-wrap; overflow-wrap: anywhere; }
    pre.error { border-color: #d1242f; background: #fff5f5; white-space: pre-wrap; overflow-wrap: anywhere; }
    .badge { display: inline-block; border-radius: 2em; padding: .1em .7em; font-size: .85rem; font-weight: 600;
      color: #fff; background: #59636e; vertical-align: middle; }
    .badge-succeeded { background: #1a7f37; }
    .badge-failed, .badge-crashed { background: #d1242f; }
    .badge-interrupted, .badge-running { background: #9a6700; }
    .dirty { color: #9a6700; }
    aside.deviations { border: 1px solid #9a6700; background: #fff8c5; border-radius: 6px; padding: .2rem 1rem; margin: 1rem 0; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
    dt { color: var(--muted); }
    dd { margin: 0; overflow-wrap: anywhere; }
    .scroll { overflow-x: auto; margin: .75rem 0; }
    table { border-collapse: collapse; font-size: .92rem; }
    th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
    th { background: var(--bg-code); }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .step { border-top: 1px solid var(--line); margin-top: 2rem; }
    .kind, .step-status { color: var(--muted); font-weight: normal; }
    .step-status { margin: 0 0 .5rem; font-style: italic; }
    .step-status.failed { color: #d1242f; }
    details.source { margin: .5rem 0; }
    details.source summary { cursor: pointer; color: var(--muted); }
    figure { margin: 1rem 0; }
    .chart { overflow-x: auto; }
    .chart svg { max-width: 100%; height: auto; display: block; }
    figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; overflow-wrap: anywhere; }
    .prose img { max-width: 100%; }
    footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
    @media (max-width: 520px) {
      body { font-size: 15px; }
      main { padding: 1rem .75rem 2rem; }
      dl { gap: .15rem .75rem; }
    }
    @media print {
      main { max-width: none; padding: 0; }
      details.source > summary { list-style: none; }
      details.source::details-content { content-visibility: visible; display: block; }
      pre, pre.sample { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
      .scroll, .chart { overflow: visible; }
      figure, tr, pre { break-inside: avoid; }
      h2, h3, h4 { break-after: avoid; }
    }

    """
}
