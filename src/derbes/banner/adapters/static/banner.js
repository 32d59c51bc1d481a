/* derbes cookie banner: no dependencies, ES2017. The server puts the register's
   banner (categories, cookies, texts, digests) in place of the marker below. */
(function () {
  'use strict';
  var C = /*DERBES_BANNER*/null;
  if (!C || window.derbesBanner) return;
  var D = document, NAV = navigator, DAY = 864e5;
  var OPTIONAL = C.categories.filter(function (c) { return c !== 'strictly_necessary'; });
  var GPC_OFF = ['analytics', 'marketing'];
  var STATE = 'derbes_consent_' + C.operator, VISITOR = 'derbes_vid';
  var here = D.currentScript ? D.currentScript.src : location.href;
  var endpoint = new URL('/banner/' + encodeURIComponent(C.operator) + '/choices', here).href;
  var lang = (D.documentElement.getAttribute('lang') || '').slice(0, 2).toLowerCase();
  if (!C.texts.title[lang]) lang = 'ru';
  var gpc = NAV.globalPrivacyControl === true;
  var state = null, root = null, opener = null, lastFocus = null, ran = {};

  function t(key) { return C.texts[key][lang]; }
  function el(tag, attrs, kids) {
    var node = D.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (k) { if (k) node.appendChild(k); });
    return node;
  }
  function readCookie(name) {
    var found = D.cookie.split('; ').filter(function (c) { return c.indexOf(name + '=') === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
  }
  function writeCookie(name, value, days) {
    D.cookie = name + '=' + encodeURIComponent(value) + '; Max-Age=' + Math.round(days * 86400) +
      '; Path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function visitor() {
    var id = readCookie(VISITOR);
    if (!/^[0-9a-f-]{36}$/.test(id || '')) id = uuid();
    writeCookie(VISITOR, id, C.maxAgeDays);  // random: never derived from personal data
    return id;
  }
  function load() {
    try { return JSON.parse(readCookie(STATE) || 'null'); } catch (e) { return null; }
  }
  // Still valid: younger than the register's limit and no cookie the visitor has not seen.
  function current(s) {
    if (!s || !Array.isArray(s.seen) || !Array.isArray(s.cats)) return false;
    if (!(Date.now() - s.at < C.maxAgeDays * DAY)) return false;
    return C.cookies.every(function (c) { return s.seen.indexOf(c.key) >= 0; });
  }
  function allowed(cat) {
    if (cat === 'strictly_necessary') return true;
    if (gpc && GPC_OFF.indexOf(cat) >= 0) return false;
    return !!state && state.cats.indexOf(cat) >= 0;
  }

  /* ---- blocking and releasing marked scripts and iframes ---- */
  function release(node) {
    var cat = node.getAttribute('data-category');
    if (node.tagName === 'SCRIPT') {
      if (node.getAttribute('type') !== 'text/plain') return;
      var copy = D.createElement('script');
      Array.prototype.forEach.call(node.attributes, function (a) {
        if (a.name !== 'type' && a.name !== 'data-src') copy.setAttribute(a.name, a.value);
      });
      if (node.getAttribute('data-src')) copy.src = node.getAttribute('data-src');
      else copy.text = node.text;
      copy.setAttribute('data-derbes-ran', cat);
      ran[cat] = true;
      node.setAttribute('type', 'text/derbes-done');
      node.parentNode.insertBefore(copy, node.nextSibling);
    } else if (node.tagName === 'IFRAME' && node.getAttribute('data-src') &&
               node.getAttribute('src') !== node.getAttribute('data-src')) {
      node.setAttribute('src', node.getAttribute('data-src'));
    }
  }
  function block(node) {
    var cat = node.getAttribute('data-category');
    if (node.tagName === 'SCRIPT' && node.getAttribute('type') === 'text/derbes-done') {
      node.setAttribute('type', 'text/plain');
    } else if (node.tagName === 'SCRIPT' && node.getAttribute('data-derbes-ran')) {
      node.parentNode.removeChild(node);
    } else if (node.tagName === 'IFRAME' && node.hasAttribute('src')) {
      if (!node.getAttribute('data-src')) node.setAttribute('data-src', node.getAttribute('src'));
      node.removeAttribute('src');
      node.setAttribute('srcdoc', '');
    }
    return cat;
  }
  function apply(node) {
    if (node.nodeType !== 1) return;
    var found = node.matches('[data-category]') ? [node] : [];
    found = found.concat(Array.prototype.slice.call(node.querySelectorAll('script[data-category],iframe[data-category]')));
    found.forEach(function (n) {
      if (n.tagName !== 'SCRIPT' && n.tagName !== 'IFRAME') return;
      if (allowed(n.getAttribute('data-category'))) release(n); else block(n);
    });
  }
  function forget(cat) {
    // First-party cookies of a withdrawn category that the register names.
    C.cookies.forEach(function (c) {
      if (c.category === cat && c.party === 'first') D.cookie = c.name + '=; Max-Age=0; Path=/';
    });
  }

  /* ---- recording ---- */
  function choose(cats, action) {
    var before = state, wasRunning = Object.keys(ran);
    state = { v: C.version, seen: C.cookies.map(function (c) { return c.key; }),
      cats: cats, at: Date.now(), id: uuid() };
    writeCookie(STATE, JSON.stringify(state), C.maxAgeDays);
    var body = { operator: C.operator, choice_id: state.id, visitor_id: visitor(),
      banner_version: C.version, text_hash: C.hashes[lang], lang: lang, action: action,
      categories: cats, gpc: gpc };
    // text/plain: a simple request, so a site on another origin needs no preflight.
    fetch(endpoint, { method: 'POST', body: JSON.stringify(body), keepalive: true,
      headers: { 'Content-Type': 'text/plain' } }).catch(function () {});
    apply(D.documentElement);
    var withdrawn = OPTIONAL.filter(function (c) { return !allowed(c) && before && before.cats.indexOf(c) >= 0; });
    withdrawn.forEach(forget);
    close();
    // A script that already ran keeps running until the page is left: reload to stop it.
    if (withdrawn.some(function (c) { return wasRunning.indexOf(c) >= 0; })) location.reload();
  }

  /* ---- the dialog ---- */
  function button(key, onClick) {
    var b = el('button', { type: 'button', 'class': 'derbes-b', text: t(key) });
    b.addEventListener('click', onClick);
    return b;
  }
  function cookieList(cat) {
    return el('ul', { 'class': 'derbes-l' }, C.cookies.filter(function (c) { return c.category === cat; }).map(function (c) {
      var who = t(c.party === 'third' ? 'third_party' : 'first_party') + (c.provider ? ' (' + t('provider') + ': ' + c.provider + ')' : '');
      return el('li', {}, [el('strong', { text: c.name }), el('span', { text: ' — ' + c.purpose[lang] + ' ' + t('lifetime') + ': ' + c.days + ' ' + t('days') + '. ' + who + '.' })]);
    }));
  }
  function details() {
    var form = el('div', { 'class': 'derbes-d' });
    C.categories.forEach(function (cat) {
      var id = 'derbes-c-' + cat, fixed = cat === 'strictly_necessary';
      var box = el('input', { type: 'checkbox', id: id, name: cat });
      box.checked = fixed || allowed(cat);
      if (fixed) box.disabled = true;
      if (gpc && GPC_OFF.indexOf(cat) >= 0) { box.checked = false; box.disabled = true; }
      var label = el('label', { 'for': id, text: t('cat_' + cat) + (fixed ? ' — ' + t('always_on') : '') });
      form.appendChild(el('div', { 'class': 'derbes-c' }, [box, label, cookieList(cat)]));
    });
    return form;
  }
  function close() {
    if (root) { root.parentNode.removeChild(root); root = null; }
    showOpener();
    var back = lastFocus && lastFocus !== D.body && D.contains(lastFocus) ? lastFocus : opener;
    if (back) back.focus();
  }
  function open() {
    if (root) return;
    lastFocus = D.activeElement;
    var title = el('h2', { id: 'derbes-t', text: t('title') });
    var intro = el('p', { id: 'derbes-i', text: t('intro') });
    var panel = el('div', {});
    var row = el('div', { 'class': 'derbes-r' }, [
      button('accept_all', function () { choose(OPTIONAL.filter(function (c) { return !gpc || GPC_OFF.indexOf(c) < 0; }), gpc ? 'choose' : 'accept_all'); }),
      button('reject_all', function () { choose([], 'reject_all'); }),
      button('choose', showDetails)]);
    function showDetails() {
      panel.textContent = '';
      var form = details();
      panel.appendChild(form);
      panel.appendChild(el('div', { 'class': 'derbes-r' }, [
        button('save', function () {
          choose(OPTIONAL.filter(function (c) { return D.getElementById('derbes-c-' + c).checked; }), 'choose');
        }),
        button('back', function () { panel.textContent = ''; panel.appendChild(row); row.firstChild.focus(); })]));
      var first = form.querySelector('input:not([disabled])') || panel.querySelector('button');
      first.focus();
    }
    panel.appendChild(row);
    root = el('div', { role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'derbes-t',
      'aria-describedby': 'derbes-i', 'class': 'derbes', lang: lang }, [title, intro, panel]);
    root.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && panel.querySelector('.derbes-d')) panel.querySelector('.derbes-r button:last-child').click();
    });
    D.body.appendChild(root);
    if (opener) opener.hidden = true;
    row.firstChild.focus();
  }
  function showOpener() {
    if (!opener) {
      opener = el('button', { type: 'button', 'class': 'derbes-b derbes-o', text: t('settings') });
      opener.addEventListener('click', open);
      D.body.appendChild(opener);
    }
    opener.hidden = false;
  }
  function style() {
    // Three buttons, one look: no choice is pushed over another.
    D.head.appendChild(el('style', { text:
      '.derbes{position:fixed;left:1rem;right:1rem;bottom:1rem;max-height:80vh;overflow:auto;z-index:2147483646;' +
      'background:#fff;color:#1b1b1b;border:2px solid #1b1b1b;border-radius:6px;padding:1rem;font:16px/1.4 system-ui,sans-serif}' +
      '.derbes h2{font-size:1.2rem;margin:0 0 .5rem}.derbes-r{display:flex;flex-wrap:wrap;gap:.5rem}' +
      '.derbes-b{flex:1 1 10rem;min-height:2.75rem;background:#0b3d91;color:#fff;border:2px solid #0b3d91;border-radius:4px;font:inherit;cursor:pointer}' +
      '.derbes-b:focus-visible{outline:3px solid #b35c00;outline-offset:2px}' +
      '.derbes-o{position:fixed;right:1rem;bottom:1rem;flex:none;padding:0 1rem;z-index:2147483645}' +
      '.derbes-c{margin:.5rem 0}.derbes-l{margin:.25rem 0 0 1.5rem;padding:0;font-size:.9rem}'
    }));
  }

  function start() {
    style();
    state = load();
    var valid = current(state);
    if (!valid) state = null;
    if (gpc && (!state || state.cats.some(function (c) { return GPC_OFF.indexOf(c) >= 0; }))) {
      // Global Privacy Control is the visitor's answer: record it, ask nothing.
      choose((state ? state.cats : []).filter(function (c) { return GPC_OFF.indexOf(c) < 0; }), 'gpc');
    } else if (!state) {
      apply(D.documentElement);
      open();
    } else {
      apply(D.documentElement);
      showOpener();
    }
    new MutationObserver(function (changes) {
      changes.forEach(function (m) { Array.prototype.forEach.call(m.addedNodes, apply); });
    }).observe(D.documentElement, { childList: true, subtree: true });
  }
  window.derbesBanner = { open: open, allowed: allowed };
  if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', start); else start();
})();
