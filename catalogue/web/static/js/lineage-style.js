/* How the lineage explorer draws assets and edges (cytoscape.js styles): nodes
 * coloured by kind, sensitive ones with a double red border, restricted ones
 * dashed grey, the asset the page is about underlaid in yellow, the current one
 * overlaid; edges as right-angled segments (lineage-routes.js sets the bends).
 *
 * Text is FONT model units and the zoom never goes below MIN_ZOOM, so it is
 * never drawn smaller than FONT x MIN_ZOOM = 12 px.
 */
(function () {
  'use strict'
  var FONT = 16
  var MIN_ZOOM = 0.75
  var COLOURS = { dataset: '#1d70b8', report: '#00703c', source_system: '#4c2c92', pipeline: '#6f4e00' }

  var STYLE = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        label: 'data(label)',
        color: '#ffffff',
        'font-size': FONT,
        'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
        'text-wrap': 'wrap',
        'text-max-width': 168,
        'text-valign': 'center',
        'text-halign': 'center',
        width: 184,
        height: 68,
        'background-color': function (n) { return COLOURS[n.data('kind')] || '#505a5f' },
        'border-width': 2,
        'border-color': '#0b0c0c'
      }
    },
    { selector: 'node[restricted = "yes"]', style: { 'background-color': '#505a5f', 'border-style': 'dashed' } },
    { selector: 'node[sensitive = "yes"]', style: { 'border-width': 6, 'border-style': 'double', 'border-color': '#d4351c' } },
    { selector: 'node[centre = "yes"]', style: { 'font-weight': 'bold', 'underlay-color': '#ffdd00', 'underlay-opacity': 1, 'underlay-padding': 6 } },
    { selector: 'node.app-current', style: { 'overlay-color': '#ffdd00', 'overlay-opacity': 0.35, 'overlay-padding': 8 } },
    { selector: '.app-hidden', style: { display: 'none' } },
    {
      selector: 'edge',
      style: {
        width: 2,
        'line-color': '#505a5f',
        'target-arrow-color': '#505a5f',
        'target-arrow-shape': 'triangle',
        'curve-style': 'segments',
        'edge-distances': 'node-position',
        'segment-weights': 0.5,
        'segment-distances': 0
      }
    }
  ]

  window.catalogueLineageStyle = { style: STYLE, minZoom: MIN_ZOOM }
})()
