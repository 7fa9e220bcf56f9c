/* The lineage graph: an enhancement of the tables on the lineage page.
 *
 * Fetches the page's graph JSON (data-source), draws it with cytoscape.js and a
 * layered dagre layout (data flows left to right), colours nodes by kind, marks
 * sensitive ones with a double red border and restricted ones dashed grey, and
 * goes to an asset's lineage when its node is selected. Without JavaScript, or
 * if anything fails, the tables on the page say the same.
 */
(function () {
  'use strict'
  var box = document.getElementById('lineage-graph')
  if (!box || typeof window.cytoscape !== 'function') return
  if (typeof window.cytoscapeDagre === 'function') window.cytoscape.use(window.cytoscapeDagre)

  var COLOURS = { dataset: '#1d70b8', report: '#00703c', source_system: '#4c2c92', pipeline: '#6f4e00' }

  function fail () {
    box.removeAttribute('role')
    box.classList.add('govuk-body')
    box.textContent = 'The graph could not be drawn. The tables below list the same assets.'
  }

  function draw (data) {
    var elements = []
    data.nodes.forEach(function (n) {
      elements.push({
        group: 'nodes',
        data: {
          id: n.id,
          key: n.key,
          label: n.title,
          kind: n.kind || 'restricted',
          url: n.url,
          sensitive: n.sensitive ? 'yes' : 'no',
          restricted: n.restricted ? 'yes' : 'no',
          centre: n.side === 'centre' ? 'yes' : 'no'
        }
      })
    })
    data.edges.forEach(function (e) {
      elements.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target } })
    })
    var cy = window.cytoscape({
      container: box,
      elements: elements,
      minZoom: 0.2,
      maxZoom: 2.5,
      style: [
        {
          selector: 'node',
          style: {
            shape: 'round-rectangle',
            label: 'data(label)',
            color: '#ffffff',
            'font-size': 12,
            'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
            'text-wrap': 'wrap',
            'text-max-width': 136,
            'text-valign': 'center',
            'text-halign': 'center',
            width: 150,
            height: 54,
            padding: 4,
            'background-color': function (n) { return COLOURS[n.data('kind')] || '#505a5f' },
            'border-width': 2,
            'border-color': '#0b0c0c'
          }
        },
        { selector: 'node[restricted = "yes"]', style: { 'background-color': '#505a5f', 'border-style': 'dashed' } },
        { selector: 'node[sensitive = "yes"]', style: { 'border-width': 6, 'border-style': 'double', 'border-color': '#d4351c' } },
        { selector: 'node[centre = "yes"]', style: { width: 170, height: 64, 'font-weight': 'bold', 'underlay-color': '#ffdd00', 'underlay-opacity': 1, 'underlay-padding': 6 } },
        {
          selector: 'edge',
          style: {
            width: 2,
            'line-color': '#505a5f',
            'target-arrow-color': '#505a5f',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier'
          }
        }
      ],
      layout: { name: typeof window.cytoscapeDagre === 'function' ? 'dagre' : 'breadthfirst', rankDir: 'LR', nodeSep: 20, rankSep: 50, directed: true }
    })
    fitHeight(cy)
    cy.on('tap', 'node', function (event) {
      var url = event.target.data('url')
      if (url) window.location.assign(url)
    })
    cy.on('mouseover', 'node', function (event) {
      box.style.cursor = event.target.data('url') ? 'pointer' : 'default'
    })
    cy.on('mouseout', 'node', function () { box.style.cursor = 'default' })
    box.setAttribute('data-drawn', String(cy.nodes().length))
    window.catalogueLineage = cy
  }

  // As tall as the drawing needs at the width available (within limits), so a
  // short chain is not lost in a tall empty box.
  function fitHeight (cy) {
    var bb = cy.elements().boundingBox()
    if (!bb.w) return
    var zoom = Math.min(1, (box.clientWidth - 40) / bb.w)
    box.style.height = Math.round(Math.max(160, Math.min(720, bb.h * zoom + 60))) + 'px'
    cy.resize()
    cy.fit(undefined, 20)
  }

  fetch(box.getAttribute('data-source'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status) })
    .then(draw)
    .catch(fail)
})()
