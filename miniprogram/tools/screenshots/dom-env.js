// miniprogram-simulate renders into a DOM: outside jest there is none, so a jsdom window
// becomes the global one (as jest-environment-jsdom does) before the simulator is loaded.

const { JSDOM } = require('jsdom');

const GLOBALS = [
  'window',
  'document',
  'navigator',
  'Element',
  'HTMLElement',
  'Node',
  'Event',
  'CustomEvent',
  'MutationObserver',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
];

let installed = false;

function installDom() {
  if (installed) return;
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
    pretendToBeVisual: true,
  });
  for (const name of GLOBALS) {
    if (name === 'window') global.window = dom.window;
    else if (global[name] === undefined) global[name] = dom.window[name];
  }
  installed = true;
}

module.exports = { installDom };
