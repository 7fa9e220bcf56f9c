/* The lineage explorer: an enhancement of the tables on the lineage page.
 *
 * Fetches the page's graph JSON (data-source: the server's permission-filtered
 * nodes and edges), draws it with cytoscape.js and a layered dagre layout (data
 * flows left to right), edges routed around the assets (lineage-routes.js).
 * Text is never drawn below 12 px: the zoom stops there and the view pans
 * instead. Every asset is a button over the drawing (one tab stop, arrow keys
 * between them); Enter opens its details in the side panel (lineage-panel.js);
 * U / D show one more hop upstream / downstream of it, Shift+U / Shift+D hide
 * that side, F keeps only it and its neighbours, A shows every asset again.
 * Without JavaScript, or if anything fails, the tables on the page say the same.
 */
(function () {
  'use strict'
  var root = document.getElementById('lineage-explorer')
  var box = document.getElementById('lineage-graph')
  if (!root || !box || typeof window.cytoscape !== 'function' || !window.catalogueLineageStyle) return
  if (typeof window.cytoscapeDagre === 'function') window.cytoscape.use(window.cytoscapeDagre)

  var MIN_ZOOM = window.catalogueLineageStyle.minZoom
  var MAX_ZOOM = 2.5
  var layer = document.getElementById('lineage-nodes')
  var panel = document.getElementById('lineage-panel')
  var panelFor = null
  var status = document.getElementById('lineage-status')
  var cy = null
  var shown = {}
  var anchor = root.getAttribute('data-centre')
  var current = anchor

  function fail () {
    box.removeAttribute('aria-hidden')
    box.classList.add('govuk-body')
    box.textContent = 'The graph could not be drawn. The tables below list the same assets.'
  }

  function say (text) { status.textContent = text }

  // -- what is shown -------------------------------------------------------------
  function node (id) { return cy.getElementById(id) }
  function neighbours (id, side) {
    var n = node(id)
    return (side === 'upstream' ? n.incomers('node') : n.outgoers('node')).map(function (m) { return m.id() })
  }
  function hiddenCount (id, side) {
    return neighbours(id, side).filter(function (m) { return !shown[m] }).length
  }

  // Keep what is joined to the anchor (and ``keep``) through shown assets.
  function prune (keep) {
    if (!shown[anchor]) anchor = keep
    var reached = {}
    var queue = [anchor, keep]
    while (queue.length) {
      var id = queue.pop()
      if (reached[id] || !shown[id]) continue
      reached[id] = true
      queue.push.apply(queue, neighbours(id, 'upstream').concat(neighbours(id, 'downstream')))
    }
    shown = reached
  }

  function expand (id, side) {
    var added = neighbours(id, side).filter(function (m) { return !shown[m] })
    added.forEach(function (m) { shown[m] = true })
    refresh(id, added.length ? 'Showing ' + added.length + ' more ' + side + ' of ' + node(id).data('label') + '.'
      : 'Nothing more ' + side + ' of ' + node(id).data('label') + ' in this graph.')
  }

  function collapse (id, side) {
    var before = Object.keys(shown).length
    // The asset the view is anchored on stays; what hangs only on the hidden ones goes.
    neighbours(id, side).forEach(function (m) { if (m !== anchor) delete shown[m] })
    shown[id] = true
    prune(id)
    refresh(id, 'Hid ' + (before - Object.keys(shown).length) + ' assets ' + side + ' of ' + node(id).data('label') + '.')
  }

  function focusOn (id) {
    shown = {}
    shown[id] = true
    anchor = id
    neighbours(id, 'upstream').concat(neighbours(id, 'downstream')).forEach(function (m) { shown[m] = true })
    refresh(id, 'Showing ' + node(id).data('label') + ' and the ' + (Object.keys(shown).length - 1) + ' assets next to it.')
  }

  function showAll () {
    cy.nodes().forEach(function (n) { shown[n.id()] = true })
    anchor = root.getAttribute('data-centre')
    refresh(current, 'Showing all ' + cy.nodes().length + ' assets.')
  }

  function refresh (keep, message) {
    cy.batch(function () {
      cy.nodes().forEach(function (n) { n.toggleClass('app-hidden', !shown[n.id()]) })
      cy.edges().forEach(function (e) { e.toggleClass('app-hidden', !(shown[e.source().id()] && shown[e.target().id()])) })
    })
    var fromPanel = panel.contains(document.activeElement)
    layout(function () {
      current = shown[keep] ? keep : anchor
      buttons()
      moveTo(current, fromPanel)
      // An open panel says what is hidden around its asset: write it afresh.
      if (!panel.hidden && shown[panelFor]) open(panelFor, fromPanel)
      else if (!panel.hidden) window.catalogueLineagePanel.close()
      if (message) say(message)
    })
  }

  function visible () { return cy.elements().not('.app-hidden') }

  function layout (done) {
    var eles = visible()
    var run = eles.layout({
      name: typeof window.cytoscapeDagre === 'function' ? 'dagre' : 'breadthfirst',
      rankDir: 'LR',
      nodeSep: 28,
      rankSep: 96,
      directed: true,
      fit: false
    })
    run.one('layoutstop', function () {
      window.catalogueLineageRoutes.route(cy, eles)
      fit()
      if (done) done()
    })
    run.run()
  }

  // -- the view ------------------------------------------------------------------
  // As tall as the drawing needs at the smallest readable zoom (within limits);
  // the whole drawing when it fits, else the current asset in the middle.
  function fit () {
    var eles = visible()
    var bb = eles.boundingBox()
    var most = Math.max(240, Math.round(window.innerHeight * 0.7))
    box.style.height = Math.round(Math.max(200, Math.min(most, bb.h * MIN_ZOOM + 60))) + 'px'
    cy.resize()
    cy.fit(eles, 24)
    // A short chain is not blown up to fill the width.
    if (cy.zoom() > 1.25) { cy.zoom(1.25); cy.center(eles) }
    if (cy.zoom() <= MIN_ZOOM + 1e-9 && current) centre(current)
  }

  // Centre an asset, but leave no empty margin where the drawing could be.
  function centre (id) {
    cy.center(node(id))
    var rb = visible().renderedBoundingBox()
    var pad = 24
    var by = { x: 0, y: 0 }
    if (rb.w + 2 * pad > cy.width()) {
      if (rb.x1 > pad) by.x = pad - rb.x1
      else if (rb.x2 < cy.width() - pad) by.x = cy.width() - pad - rb.x2
    }
    if (rb.h + 2 * pad > cy.height()) {
      if (rb.y1 > pad) by.y = pad - rb.y1
      else if (rb.y2 < cy.height() - pad) by.y = cy.height() - pad - rb.y2
    }
    cy.panBy(by)
  }

  function zoomBy (factor) {
    var z = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, cy.zoom() * factor))
    var centre = current ? node(current).renderedPosition() : { x: cy.width() / 2, y: cy.height() / 2 }
    cy.zoom({ level: z, renderedPosition: centre })
    say('Zoom ' + Math.round(z * 100) + ' per cent.')
  }

  // -- the keyboard: one button per asset over the drawing -----------------------
  function buttons () {
    layer.textContent = ''
    visible().nodes().forEach(function (n) {
      var b = document.createElement('button')
      b.type = 'button'
      b.className = 'app-explorer__node'
      b.setAttribute('data-node', n.id())
      b.setAttribute('tabindex', n.id() === current ? '0' : '-1')
      b.setAttribute('aria-controls', 'lineage-panel')
      b.setAttribute('aria-describedby', 'lineage-keys-hint')
      var up = hiddenCount(n.id(), 'upstream')
      var down = hiddenCount(n.id(), 'downstream')
      b.setAttribute('aria-label', n.data('label') + ', ' + n.data('kindLabel') +
        (n.data('centre') === 'yes' ? ', the asset this page is about' : '') +
        (up ? ', ' + up + ' more upstream' : '') + (down ? ', ' + down + ' more downstream' : ''))
      layer.appendChild(b)
    })
    place()
  }

  function place () {
    Array.prototype.forEach.call(layer.children, function (b) {
      var bb = node(b.getAttribute('data-node')).renderedBoundingBox({ includeLabels: false, includeOverlays: false })
      b.style.left = Math.round(bb.x1) + 'px'
      b.style.top = Math.round(bb.y1) + 'px'
      b.style.width = Math.round(bb.w) + 'px'
      b.style.height = Math.round(bb.h) + 'px'
    })
  }

  function buttonFor (id) { return layer.querySelector('[data-node="' + CSS.escape(id) + '"]') }

  // Make ``id`` the current asset: its button the one tab stop, in view.
  function moveTo (id, quiet) {
    current = id
    cy.nodes().removeClass('app-current')
    node(id).addClass('app-current')
    var bb = node(id).renderedBoundingBox()
    if (bb.x1 < 0 || bb.y1 < 0 || bb.x2 > cy.width() || bb.y2 > cy.height()) centre(id)
    Array.prototype.forEach.call(layer.children, function (b) {
      b.setAttribute('tabindex', b.getAttribute('data-node') === id ? '0' : '-1')
    })
    var b = buttonFor(id)
    if (b && !quiet) b.focus()
    else if (b && layer.contains(document.activeElement)) b.focus()
  }

  // The nearest shown asset in a direction: across columns for left and right,
  // within the column (or the nearest one below or above) for up and down.
  function step (id, key) {
    var here = node(id).position()
    var best = null
    var bestScore = Infinity
    visible().nodes().forEach(function (n) {
      if (n.id() === id) return
      var p = n.position()
      var dx = p.x - here.x
      var dy = p.y - here.y
      var score
      if (key === 'ArrowRight' && dx > 1) score = dx * 4 + Math.abs(dy)
      else if (key === 'ArrowLeft' && dx < -1) score = -dx * 4 + Math.abs(dy)
      else if (key === 'ArrowDown' && dy > 1) score = dy + Math.abs(dx) * 4
      else if (key === 'ArrowUp' && dy < -1) score = -dy + Math.abs(dx) * 4
      if (score !== undefined && score < bestScore) { best = n.id(); bestScore = score }
    })
    return best
  }

  var KEYS = {
    u: function (id) { expand(id, 'upstream') },
    d: function (id) { expand(id, 'downstream') },
    U: function (id) { collapse(id, 'upstream') },
    D: function (id) { collapse(id, 'downstream') },
    f: function (id) { focusOn(id) },
    a: function () { showAll() },
    '+': function () { zoomBy(1.25) },
    '=': function () { zoomBy(1.25) },
    '-': function () { zoomBy(0.8) },
    0: function () { fit() }
  }

  function onKey (event) {
    var id = event.target.getAttribute && event.target.getAttribute('data-node')
    if (!id || event.ctrlKey || event.metaKey || event.altKey) return
    var key = event.key
    var next = null
    if (/^Arrow/.test(key)) next = step(id, key)
    else if (key === 'Home') next = root.getAttribute('data-centre')
    else if (KEYS[key]) { event.preventDefault(); KEYS[key](id); return } else return // Enter and Space: the button's click
    event.preventDefault()
    if (next && shown[next]) moveTo(next)
  }

  function open (id, focusPanel) {
    moveTo(id, true)
    panelFor = id
    window.catalogueLineagePanel.open(node(id).data(), focusPanel !== false, {
      expand: function (side) { expand(id, side) },
      collapse: function (side) { collapse(id, side) },
      focus: function () { focusOn(id) },
      hidden: function (side) { return hiddenCount(id, side) },
      back: function () { moveTo(id) }
    })
  }

  // -- drawing -------------------------------------------------------------------
  function draw (data) {
    var elements = []
    data.nodes.forEach(function (n) {
      shown[n.id] = true
      elements.push({
        group: 'nodes',
        data: {
          id: n.id,
          key: n.key,
          label: n.title,
          kind: n.kind || 'restricted',
          kindLabel: n.kind_label,
          department: n.department,
          owner: n.owner,
          classification: n.classification,
          side: n.side,
          hops: n.hops,
          url: n.url,
          page: n.page,
          columns: n.columns,
          sensitive: n.sensitive ? 'yes' : 'no',
          restricted: n.restricted ? 'yes' : 'no',
          centre: n.side === 'centre' ? 'yes' : 'no'
        }
      })
    })
    data.edges.forEach(function (e) {
      elements.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target } })
    })
    cy = window.cytoscape({
      container: box,
      elements: elements,
      minZoom: MIN_ZOOM,
      maxZoom: MAX_ZOOM,
      userZoomingEnabled: false,
      autoungrabify: true,
      boxSelectionEnabled: false,
      style: window.catalogueLineageStyle.style
    })
    window.catalogueLineage = cy
    cy.on('viewport', place)
    cy.on('tap', 'node', function (event) { open(event.target.id()) })
    cy.on('mouseover', 'node', function () { box.style.cursor = 'pointer' })
    cy.on('mouseout', 'node', function () { box.style.cursor = 'default' })
    layer.addEventListener('keydown', onKey)
    layer.addEventListener('click', function (event) {
      var id = event.target.getAttribute('data-node')
      if (id) open(id)
    })
    layer.addEventListener('focusin', function (event) {
      var id = event.target.getAttribute('data-node')
      if (id && id !== current) moveTo(id, true)
    })
    document.getElementById('lineage-zoom-in').addEventListener('click', function () { zoomBy(1.25) })
    document.getElementById('lineage-zoom-out').addEventListener('click', function () { zoomBy(0.8) })
    document.getElementById('lineage-fit').addEventListener('click', function () { fit() })
    document.getElementById('lineage-show-all').addEventListener('click', function () { showAll() })
    // The panel opening beside the drawing narrows it: keep the buttons on their assets.
    if (typeof window.ResizeObserver === 'function') new window.ResizeObserver(function () { cy.resize(); place() }).observe(box)
    window.addEventListener('resize', function () { cy.resize(); place() })
    layout(function () {
      buttons()
      moveTo(current, true)
      box.setAttribute('data-drawn', String(cy.nodes().length))
      if (asked) moveTo(current)
    })
  }

  var asked = false

  function start () {
    root.hidden = false
    var ask = document.getElementById('lineage-show-graph')
    if (ask) ask.hidden = true
    fetch(root.getAttribute('data-source'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status) })
      .then(draw)
      .catch(fail)
  }

  // On a phone the tables come first and the graph when asked for.
  var ask = document.getElementById('lineage-show-graph')
  if (ask && window.matchMedia('(max-width: 40.0525em)').matches) {
    root.hidden = true
    ask.hidden = false
    ask.addEventListener('click', function () {
      asked = true
      start()
    })
  } else {
    start()
  }
})()
